"""kmspolicy: analyse, explain and lint AWS KMS key policies, IAM policies and grants."""

__version__ = "0.1.0"
