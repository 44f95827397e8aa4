"""The shared e2e deployment as a real estate (issue 10): the harness passes these variables after
envs/prod.tfvars (they win), so the one apply watches 300 tables by name, prod's family and prod's replica
in a second Region. Every other e2e test keeps working on prod's first tables."""

from __future__ import annotations

from typing import Any, Final

from tools.sandbox import ACCOUNT

SECOND_REGION: Final = "eu-west-1"
# prod.tfvars' tables first (the other e2e tests use the first one), then generated ones up to 300.
PROD_TABLES: Final = ("orders", "payments", "customers")
EXACT_TABLES: Final = (*PROD_TABLES, *(f"estate-{i:03d}" for i in range(300 - len(PROD_TABLES))))
FAMILY: Final = "tenant-*"
REPLICA_ARN: Final = f"arn:aws:dynamodb:{SECOND_REGION}:{ACCOUNT}:table/orders"
CONSUMER_ROLE: Final = "orders-stream-consumer"  # allowed in prod.tfvars, excluded at the trail

VARIABLES: Final[dict[str, Any]] = {
    "table_names": [*EXACT_TABLES, FAMILY],
    "table_arns": [REPLICA_ARN],
}
