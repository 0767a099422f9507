"""What users see: findings (text, JSON, SARIF) and explanations of access decisions."""
