"""Reports for the people who run Lotse: figures computed from the anonymous usage data."""
