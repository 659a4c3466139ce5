"""信用记录 credit records: licences, penalties, rewards, inspections, commitments and more."""
