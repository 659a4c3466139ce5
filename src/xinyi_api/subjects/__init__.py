"""信用主体 credit subjects: enterprises, 个体工商户 individual businesses, stores (门店)."""
