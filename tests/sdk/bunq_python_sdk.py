"""bunq's own Python SDK (bunq_sdk on PyPI) against the fake bunq, unchanged:
its PSD2 registration (ApiContext.create_for_psd2), a sandbox user
(POST /sandbox-user-person, as the SDK's tests make one) and its
API-key context (ApiContext.create), then a read as each user.

CI runs it with .ci/bunq-sdk-check (a virtualenv with bunq_sdk 1.28.0); by hand:

    python3 -m venv /tmp/sdk && /tmp/sdk/bin/pip install bunq_sdk
    cargo run -- psd2 certificate --certificate /tmp/c.pem --key /tmp/k.pem
    cargo run -- fake            # in another terminal; prints BUNQ_API_URL
    BUNQ_API_URL=http://127.0.0.1:PORT/v1 /tmp/sdk/bin/python tests/sdk/bunq_python_sdk.py /tmp/c.pem /tmp/k.pem
"""

import json
import os
import sys

import requests
from bunq.sdk.context.api_context import ApiContext
from bunq.sdk.context.api_environment_type import ApiEnvironmentType
from bunq.sdk.context.bunq_context import BunqContext
from bunq.sdk.model.generated.endpoint import MonetaryAccountBankApiObject, UserApiObject

api_url = os.environ["BUNQ_API_URL"].rstrip("/") + "/"
# The SDK knows two servers; point its sandbox at the fake.
ApiEnvironmentType.SANDBOX._uri_base = api_url

certificate = open(sys.argv[1]).read()
private_key = open(sys.argv[2]).read()

provider = ApiContext.create_for_psd2(
    ApiEnvironmentType.SANDBOX, certificate, private_key, [certificate], "bunq SDK check"
)
BunqContext.load_api_context(provider)
user = UserApiObject.get().value.get_referenced_object()
print("psd2:", type(user).__name__, user.id_)

# As bunq_sdk's tests make a sandbox user: a bare POST with bunq's headers.
answer = requests.post(
    api_url + "sandbox-user-person",
    headers={
        "X-Bunq-Client-Request-Id": "sdk-check",
        "Cache-Control": "no-cache",
        "X-Bunq-Geolocation": "0 0 0 0 000",
        "X-Bunq-Language": "en_US",
        "X-Bunq-Region": "nl_NL",
        "User-Agent": "bunq-sdk-check",
    },
)
answer.raise_for_status()
api_key = answer.json()["Response"][0]["ApiKey"]["api_key"]
owner = ApiContext.create(ApiEnvironmentType.SANDBOX, api_key, "bunq SDK check")
BunqContext.load_api_context(owner)
user = UserApiObject.get().value.get_referenced_object()
accounts = MonetaryAccountBankApiObject.list().value
print("sandbox user:", type(user).__name__, user.id_, "accounts:", len(accounts))
print(json.dumps({"ok": True}))
