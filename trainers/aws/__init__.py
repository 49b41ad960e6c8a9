"""AWS hygiene for what thaigen creates: tags, S3 layout, clean-up, budget, lifecycle rules, IAM policies.

Every function takes boto3 clients as arguments (tests point them at moto on loopback); `cli.py` builds
them from the standard credential chain (environment, profile, instance role) and nothing else.
"""
