"""我的: a consumer's own data across packages — my ratings, my complaints, my export.

It gathers from ratings, personal credit and the consumer accounts, so it sits above them (the
packages below never import it).
"""
