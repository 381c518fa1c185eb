#!/usr/bin/env python3
"""Signs a sign-in token with the TEST identity provider's key (Tests/Fixtures/test-idp), for trying
self-service sign-in on the demo. Never a production tool: the test private keys are public.

    scripts/test_idp_token.py 350402199001011234 [--alg ES256|RS256] [--audience onemap] [--minutes 5]
"""
import argparse, os, time, uuid
import jwt  # PyJWT (scripts/requirements-test.txt)

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "test-idp")

def token(subject, alg="ES256", audience="onemap", minutes=5, key_file=None, kid=None, now=None, jti=None, **extra):
    now = int(now if now is not None else time.time())
    name = {"ES256": "test-es256", "RS256": "test-rs256"}[alg]
    with open(key_file or os.path.join(HERE, f"{name}.private.pem"), "rb") as f:
        key = f.read()
    claims = {"sub": subject, "aud": audience, "iss": "https://idp.test.sanming.invalid", "iat": now, "exp": now + minutes * 60,
              "jti": jti or uuid.uuid4().hex}
    claims.update(extra)
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid or name})

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("subject", help="the (synthetic) 18-character ID number to sign in as")
    p.add_argument("--alg", default="ES256", choices=["ES256", "RS256"])
    p.add_argument("--audience", default="onemap")
    p.add_argument("--minutes", type=int, default=5)
    a = p.parse_args()
    print(token(a.subject, a.alg, a.audience, a.minutes))
