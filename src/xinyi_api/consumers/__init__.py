"""Consumers and merchants 消费者 / 经营者: mini-program login, refresh tokens, rate limits,
personal-data masking, visit proofs (到店证明), enterprise claims and the consumer's own data."""
