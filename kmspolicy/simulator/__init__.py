"""A local, in-process KMS with real cryptography and its own literal reference authoriser.

`World` holds the simulated accounts, principals, organisation, keys, aliases and grants;
`World.client(principal_arn, region=...)` returns a boto3-like client. `authorize()` is the reference
authoriser the analyser's evaluator is differentially tested against; nothing here imports the
evaluator (tests/simulator/test_independence.py enforces it).
"""

from kmspolicy.simulator import operations
from kmspolicy.simulator.authorize import AuthzResult, authorize
from kmspolicy.simulator.client import Client
from kmspolicy.simulator.kmserror import KMSError
from kmspolicy.simulator.world import World

__all__ = ["AuthzResult", "Client", "KMSError", "World", "authorize", "operations"]
