"""xinyi-api: 诚信码 credit-scenario service."""
