"""Lotse: a multilingual chat assistant for county integration-counselling hotlines."""
