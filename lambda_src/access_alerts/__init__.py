"""Alert on unexpected access to DynamoDB tables, from CloudTrail records."""
