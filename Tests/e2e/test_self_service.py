"""Self-service (clause 12): a person, or an enterprise's legal representative, signed in through
the city's identity provider (here the TEST provider of Tests/Fixtures/test-idp) opens their own
file and nothing else, files a problem on it and follows it. Tokens that are expired, forged,
for another audience, replayed or otherwise wrong are refused with 401 naming why. The identity
number is never stored, logged or audited: only its keyed hash links it to records."""
import csv
import os
import subprocess
import sys
import time
import uuid

import pytest

import e2e_db
from test_problems import cli, key_of, session

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from test_idp_token import HERE as IDP, token  # noqa: E402

IDENTITY_KEY = os.path.join(IDP, "identity.key")
# Synthetic numbers with valid GB 11643 check characters; no real person's.
IMPORTED = "350403199203154411"
REPRESENTATIVE = "350481197507209918"
CREDIT = "91350400MA2XYW0018"  # fixed up to a valid GB 32100 code by the fixture


def check_char_ok(number):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * w for c, w in zip(number[:17], weights)) % 11] == number[17]


def fix_id(first17):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


def fix_credit(first17):
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    c = 31 - sum(chars.index(ch) * w for ch, w in zip(first17, weights)) % 31
    return first17 + chars[0 if c == 31 else c]


def sign_in(base_url, tok):
    return session().post(f"{base_url}/self/session", json={"token": tok})


def signed_in(base_url, number, **kw):
    r = sign_in(base_url, token(number, **kw))
    assert r.status_code == 201, r.text
    return session(r.json()["session"]), r.json()


@pytest.fixture(scope="module")
def people(base_url, out_dir, http):
    """A person imported with their ID number (linked under the identity key), an enterprise
    imported with its representative's, and the demo's synthetic identities."""
    person_number, rep_number = fix_id(IMPORTED[:17]), fix_id(REPRESENTATIVE[:17])
    credit = fix_credit(CREDIT[:17])
    (a,), (b,) = e2e_db.query("SELECT entity_code FROM buildings WHERE valid_to IS NULL AND demolished_date IS NULL "
                              "AND built_date < '2015-01-01' ORDER BY id DESC LIMIT 2")
    path = os.path.join(out_dir, "self_person.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["person_key", "building_code", "sex", "birth_year", "household_id", "registration", "moved_in", "id_number"])
        w.writerow(["SELF-1", a, "男", 1992, "SELF-H1", "户籍", "2018-05-01", person_number])
    out = cli("import", path, "--layer", "population", "--valid-from", "2025-02-01", "--identity-key", IDENTITY_KEY, "--no-check")
    assert "identities linked for self-service sign-in: 1" in out, out
    path = os.path.join(out_dir, "self_firm.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["credit_code", "name", "industry", "employees", "registered", "cancelled", "building_code", "representative_id_number"])
        w.writerow([credit, "本人服务测试公司", "F", 7, "2020-03-01", "", b, rep_number])
    out = cli("import", path, "--layer", "businesses", "--valid-from", "2025-02-01", "--identity-key", IDENTITY_KEY, "--no-check")
    assert "identities linked for self-service sign-in: 1" in out, out
    with open(os.path.join(out_dir, "identities.csv"), encoding="utf-8") as f:
        demo = list(csv.DictReader(f))
    police = session(key_of(cli("dept", "key", "SMGA")))
    return {"number": person_number, "rep": rep_number, "credit": credit, "demo": demo, "police": police, "admin": http,
            "building": a}


def test_the_demo_links_synthetic_identities_whose_numbers_are_valid(people):
    demo = people["demo"]
    assert len(demo) > 100
    assert {d["kind"] for d in demo} == {"person", "enterprise"} and any(d["note"] == "moved" for d in demo)
    assert all(len(d["synthetic_id_number"]) == 18 and check_char_ok(d["synthetic_id_number"]) for d in demo)
    # A person's synthetic number agrees with the masked identity the demo stored.
    d = next(d for d in demo if d["kind"] == "person")
    (masked,), = e2e_db.query("SELECT masked_identity FROM population WHERE person_key = ? LIMIT 1", (d["key"],))
    assert masked[:6] == d["synthetic_id_number"][:6] and masked[-4:] == d["synthetic_id_number"][-4:]


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_a_person_signs_in_once_per_token_and_opens_only_their_own_file(people, base_url, alg):
    s, holder = signed_in(base_url, people["number"], alg=alg)
    assert holder["persons"] == ["SELF-1"] and holder["enterprises"] == [] and holder["session"].startswith("os_")
    assert holder["profiles"] == ["/profiles/persons/SELF-1"]
    me = s.get(f"{base_url}/self")
    assert me.status_code == 200 and me.json()["persons"] == ["SELF-1"] and "session" not in me.json()
    mine = s.get(f"{base_url}/profiles/persons/SELF-1")
    assert mine.status_code == 200, mine.text
    assert mine.headers["Cache-Control"] == "private, no-store" and "Authorization" in mine.headers.get("Vary", "")
    p = mine.json()
    # Their own file whole, as the owner (公安) reads it, under the self-service purpose.
    owners = people["police"].get(f"{base_url}/profiles/persons/SELF-1").json()
    for k in ("addresses", "households", "registrations", "moves", "versions", "current"):
        assert p[k] == owners[k], k
    assert p["current"]["fields"]["household_id"] == "SELF-H1" and p["provenance"]["purpose"].startswith("本人查询")
    assert p["provenance"]["generatedFor"] == "self/" + holder["session"][:11]
    # Anyone else's file, known or not, is refused alike (nothing told about who exists).
    other = people["demo"][0]["key"]
    for key in (other, "NO-SUCH-PERSON"):
        r = s.get(f"{base_url}/profiles/persons/{key}")
        assert r.status_code == 403 and "own file" in r.json()["description"], r.text
    assert s.get(f"{base_url}/profiles/enterprises/{people['credit']}").status_code == 403
    # Relations are for departments.
    r = s.get(f"{base_url}/relations/person/SELF-1")
    assert r.status_code == 403 and "departments" in r.json()["description"]
    # The page and the PDF of their own file.
    page = s.get(f"{base_url}/profiles/persons/SELF-1", params={"f": "html"})
    assert page.status_code == 200 and "SELF-1" in page.text
    # The same token again is a replay.
    again = sign_in(base_url, token(people["number"], alg=alg, jti=None))
    assert again.status_code == 201  # a fresh token (new jti) is fine


def test_a_token_is_accepted_once(people, base_url):
    tok = token(people["number"])
    assert sign_in(base_url, tok).status_code == 201
    r = sign_in(base_url, tok)
    assert r.status_code == 401 and "replayed" in r.json()["description"], r.text
    assert "invalid_token" in r.headers["WWW-Authenticate"]


def refusals(number):
    now = int(time.time())
    forger = os.path.join(IDP, "forger-es256.private.pem")
    import jwt
    with open(os.path.join(IDP, "test-es256.private.pem"), "rb") as f:
        es = f.read()
    return [
        ("expired", token(number, now=now - 3600, minutes=5), "expired"),
        ("forged", token(number, key_file=forger, kid="test-es256"), "signature"),
        ("altered", token(number)[:-6] + "AAAAAA", "signature"),
        ("wrong audience", token(number, audience="another-system"), "audience"),
        ("unknown key", token(number, key_file=forger, kid="someone-else"), "not in the identity provider's key set"),
        ("alg none", jwt.encode({"sub": number, "aud": "onemap", "exp": now + 300, "iat": now, "jti": uuid.uuid4().hex}, None, algorithm="none"), "alg"),
        ("HS256 with the public key", jwt.encode({"sub": number, "aud": "onemap", "exp": now + 300, "iat": now, "jti": uuid.uuid4().hex},
                                                 "secret-guess", algorithm="HS256", headers={"kid": "test-es256"}), "alg"),
        ("no jti", jwt.encode({"sub": number, "aud": "onemap", "exp": now + 300, "iat": now}, es, algorithm="ES256",
                              headers={"kid": "test-es256"}), "jti"),
        ("too long-lived", token(number, minutes=60 * 48), "at most"),
        ("not yet valid", token(number, nbf=now + 3600), "not valid before"),
        ("subject not an ID number", token("12345"), "subject"),
        ("bad check character", token(number[:17] + ("0" if number[17] != "0" else "1")), "subject"),
        ("not a JWT", "not-a-token", "malformed"),
    ]


@pytest.mark.parametrize("case", range(13))
def test_bad_identity_tokens_are_refused_naming_why(people, base_url, case):
    name, tok, words = refusals(people["number"])[case]
    r = sign_in(base_url, tok)
    assert r.status_code == 401, (name, r.text)
    assert words in r.json()["description"], (name, r.json())
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_sessions_end_when_signed_out_or_expired_and_junk_is_refused(people, base_url):
    s, holder = signed_in(base_url, people["number"])
    assert s.delete(f"{base_url}/self/session").status_code == 204
    time.sleep(0.7)
    r = s.get(f"{base_url}/profiles/persons/SELF-1")
    assert r.status_code == 401 and "signed out" in r.json()["description"]
    s, holder = signed_in(base_url, people["number"])
    e2e_db.execute("UPDATE self_sessions SET expires_at = '2020-01-01T00:00:00.000Z' WHERE prefix = ?", (holder["session"][:11],))
    time.sleep(0.7)
    r = s.get(f"{base_url}/self")
    assert r.status_code == 401 and "expired" in r.json()["description"]
    r = session("os_" + "0" * 40).get(f"{base_url}/self")
    assert r.status_code == 401 and "sign in again" in r.json()["description"]
    # Sign-in takes only a token, and not on top of an API key.
    assert session().post(f"{base_url}/self/session", json={"token": "x", "extra": 1}).status_code == 400
    assert session().post(f"{base_url}/self/session", json={}).status_code == 400
    assert people["admin"].post(f"{base_url}/self/session", json={"token": token(people["number"])}).status_code == 403
    # /self is for signed-in people.
    assert session().get(f"{base_url}/self").status_code == 401
    assert people["admin"].get(f"{base_url}/self").status_code == 401


def test_a_representative_opens_their_enterprises_file_and_the_demos_people_theirs(people, base_url):
    s, holder = signed_in(base_url, people["rep"])
    assert holder["enterprises"] == [people["credit"]] and holder["persons"] == []
    r = s.get(f"{base_url}/profiles/enterprises/{people['credit']}")
    assert r.status_code == 200 and r.json()["current"]["fields"]["name"] == "本人服务测试公司"
    assert s.get(f"{base_url}/profiles/persons/SELF-1").status_code == 403
    # A demo mover: their file shows the move, as the brute force over the rows says.
    mover = next(d for d in people["demo"] if d["kind"] == "person" and d["note"] == "moved")
    s, holder = signed_in(base_url, mover["synthetic_id_number"], alg="RS256")
    assert holder["persons"] == [mover["key"]]
    p = s.get(f"{base_url}/profiles/persons/{mover['key']}").json()
    rows = e2e_db.query("SELECT building_code, valid_from FROM population WHERE person_key = ? ORDER BY valid_from", (mover["key"],))
    assert [(m["from"], m["to"]) for m in p["moves"]] == [(rows[i][0], rows[i + 1][0]) for i in range(len(rows) - 1)]
    # A demo enterprise's representative.
    firm = next(d for d in people["demo"] if d["kind"] == "enterprise")
    s, holder = signed_in(base_url, firm["synthetic_id_number"])
    assert firm["key"] in holder["enterprises"]
    assert s.get(f"{base_url}/profiles/enterprises/{firm['key']}").status_code == 200


def test_a_person_files_a_problem_on_their_file_and_follows_it(people, base_url):
    s, holder = signed_in(base_url, people["number"])
    version = s.get(f"{base_url}/profiles/persons/SELF-1").json()["versions"][-1]["id"]
    body = {"layer": "population", "id": version, "field": "household_id", "description": "户号有误", "proposedValue": "SELF-H9"}
    r = s.post(f"{base_url}/problems", json=body)
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["reporter"].startswith("self:") and p["owner"] == "SMGA" and p["proposedValue"] == "SELF-H9"
    assert p["target"]["key"] == "SELF-1"
    pid = p["id"]
    # Only their own records: another person's version is as unknown as none.
    (other,), = e2e_db.query("SELECT id FROM population WHERE person_key <> 'SELF-1' ORDER BY id LIMIT 1")
    r = s.post(f"{base_url}/problems", json={**body, "id": other})
    assert r.status_code == 404, r.text
    assert s.post(f"{base_url}/problems", json={k: v for k, v in body.items() if k != "id"}).status_code == 400
    # They see what they filed, and only that.
    listed = s.get(f"{base_url}/problems").json()
    assert [q["id"] for q in listed["problems"]] == [pid]
    assert s.get(f"{base_url}/problems", params={"role": "owner"}).status_code == 400
    assert s.get(f"{base_url}/problems/{pid}").json()["actions"] == []
    # The owner answers; the person follows the state and takes the reporter's steps.
    police = people["police"]
    assert pid in [q["id"] for q in police.get(f"{base_url}/problems", params={"role": "owner", "layer": "population"}).json()["problems"]]
    assert s.post(f"{base_url}/problems/{pid}/accept").status_code == 403
    r = police.post(f"{base_url}/problems/{pid}/reject", json={"note": "户号核实无误"})
    assert r.status_code == 200, r.text
    seen = s.get(f"{base_url}/problems/{pid}").json()
    assert seen["state"] == "rejected" and seen["actions"] == ["reopen"] and seen["history"][-1]["note"] == "户号核实无误"
    r = s.post(f"{base_url}/problems/{pid}/reopen", json={"note": "附户口簿"})
    assert r.status_code == 200 and r.json()["state"] == "open"
    # Another person does not see it.
    rep, _ = signed_in(base_url, people["rep"])
    assert rep.get(f"{base_url}/problems/{pid}").status_code == 404
    assert rep.get(f"{base_url}/problems").json()["problems"] == []
    # Departments-only parts stay so.
    assert s.get(f"{base_url}/problems/feed").status_code == 401


def test_sign_ins_and_self_reads_are_audited_and_the_number_is_nowhere(people, base_url, out_dir):
    s, holder = signed_in(base_url, people["number"])
    assert s.get(f"{base_url}/profiles/persons/SELF-1").status_code == 200
    time.sleep(1.2)
    records = people["admin"].get(f"{base_url}/audit", params={"principal": "self/" + holder["session"][:11], "limit": 1000}).json()["records"]
    assert any(r["action"] == "signin" and r["outcome"].startswith("201") for r in records)
    reads = [r for r in records if r["endpoint"] == "GET /profiles/persons/{key}"]
    assert reads and all(r["purpose"].startswith("本人查询") for r in reads)
    everything = people["admin"].get(f"{base_url}/audit", params={"limit": 10000}).json()["records"]
    assert any(r["outcome"].startswith("401") and "replayed" in r["outcome"] for r in everything)
    numbers = [people["number"], people["rep"]] + [d["synthetic_id_number"] for d in people["demo"][:20]]
    text = str(everything)
    assert not any(n in text for n in numbers)
    # Not in the server's log, and not in the database (only keyed hashes are).
    with open(os.path.join(out_dir, "server.log"), encoding="utf-8", errors="replace") as f:
        log = f.read()
    assert not any(n in log for n in numbers)
    if not e2e_db.is_postgres():
        with open(os.environ["ONEMAP_DB"], "rb") as f:
            data = f.read()
        assert not any(n.encode() in data for n in numbers)
    else:
        rows = e2e_db.query("SELECT identity_hash, entity_key FROM identity_links")
        assert rows and not any(n in str(rows) for n in numbers)


def test_an_import_refuses_representatives_without_the_identity_key_and_bad_numbers(people, out_dir):
    path = os.path.join(out_dir, "self_firm_nokey.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["credit_code", "name", "industry", "employees", "registered", "building_code", "representative_id_number"])
        w.writerow([people["credit"], "本人服务测试公司", "F", 7, "2020-03-01", people["building"], people["rep"]])
    r = subprocess.run([os.environ["ONEMAP_BIN"], "import", path, "--layer", "businesses", "--db", os.environ["ONEMAP_DB"]],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "--identity-key" in r.stderr, r.stderr
    path = os.path.join(out_dir, "self_person_bad.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["person_key", "building_code", "sex", "birth_year", "household_id", "registration", "moved_in", "id_number"])
        w.writerow(["SELF-2", people["building"], "女", 1990, "SELF-H2", "户籍", "2018-05-01", people["number"][:17] + "Y"])
    r = subprocess.run([os.environ["ONEMAP_BIN"], "import", path, "--layer", "population", "--identity-key", IDENTITY_KEY, "--no-check",
                        "--db", os.environ["ONEMAP_DB"]], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "GB 11643" in r.stderr, r.stderr
    # Another identity key would make links that match nobody: refused.
    other = os.path.join(out_dir, "other-identity.key")
    with open(other, "w") as f:
        f.write("f" * 64)
    path = os.path.join(out_dir, "self_person_otherkey.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["person_key", "building_code", "sex", "birth_year", "household_id", "registration", "moved_in", "id_number"])
        w.writerow(["SELF-3", people["building"], "女", 1990, "SELF-H3", "户籍", "2018-05-01", people["number"]])
    r = subprocess.run([os.environ["ONEMAP_BIN"], "import", path, "--layer", "population", "--identity-key", other, "--no-check",
                        "--db", os.environ["ONEMAP_DB"]], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "another identity key" in r.stderr, r.stderr
