"""Consumer ratings 消费者评价 (only from real visits), merchant replies 商家回复, abuse reports,
department moderation 审核 and complaints 投诉."""
