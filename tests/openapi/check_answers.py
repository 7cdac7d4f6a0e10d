#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks every answer the end-to-end suite received against jeton's API description.

    tests/openapi/check_answers.py docs/openapi.json DIR

DIR holds the JSON lines tests/e2e/conftest.py records when JETON_OPENAPI_RECORD is set
(make e2e sets it): one distinct answer a line, {method, path, status, headers, body, test}.
Each answer is matched to its operation (the path template, the method; HEAD as GET) and
checked: its status is one the operation documents, its Content-Type one the response
documents, its JSON body valid against the response's schema (JSON Schema draft 2020-12, as
OpenAPI 3.1 has it), its required headers present and valid. The rules the document states
once for every path (info.description) are checked as such: a path it does not describe is
404 not_found; a method a path does not list is 405 method_not_allowed with Allow naming
exactly the documented methods; a request the HTTP layer refuses before any endpoint sees it
(PROTOCOL below) has its status and error code. Every mismatch is listed, grouped, with the
test that received it; the exit status is 1 when there is any.
"""
import collections
import glob
import json
import os
import re
import sys
import urllib.parse

from jsonschema import Draft202012Validator

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Statuses the HTTP layer answers for any path, before routing, with jeton's error shape
# (docs/openapi.json's info.description lists them): the status and its error code.
PROTOCOL = {400: "invalid_request", 413: "request_too_large", 414: "invalid_request",
            431: "invalid_request", 501: "not_implemented", 503: "temporarily_unavailable"}


class Description:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = json.load(f)
        self.templates = []
        for template in self.doc["paths"]:
            parts = template.strip("/").split("/")
            regex = "^/" + "/".join("[^/]+" if p.startswith("{") else re.escape(p)
                                    for p in parts) + "$"
            literal = sum(not p.startswith("{") for p in parts)
            self.templates.append((re.compile(regex), literal, template))
        self.validators = {}

    def template_of(self, path):
        """The template matching path, the one with the most literal segments first."""
        found = [(literal, t) for regex, literal, t in self.templates if regex.match(path)]
        return max(found)[1] if found else None

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            node = self.pointer(node["$ref"][1:])
        return node

    def pointer(self, ptr):
        node = self.doc
        for part in ptr.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def validator(self, ptr):
        """A validator of the schema at ptr, its $refs resolved within the document."""
        if ptr not in self.validators:
            # The document itself is the root schema: "#/components/..." then resolves
            # against it, with every version of jsonschema; its other members are not
            # keywords and are ignored.
            root = dict(self.doc)
            root["$ref"] = "#" + urllib.parse.quote(ptr, safe="/~")
            self.validators[ptr] = Draft202012Validator(root)
        return self.validators[ptr]


def escape(part):
    return part.replace("~", "~0").replace("/", "~1")


def error_code(body):
    try:
        value = json.loads(body or "")
    except ValueError:
        return None
    if isinstance(value, dict) and set(value) == {"error", "error_description"} and \
            isinstance(value["error_description"], str) and value["error_description"]:
        return value["error"]
    return None


def check(d, a):
    """The problems of answer a: a list of (kind, detail)."""
    method = "get" if a["method"] == "HEAD" else a["method"].lower()
    path = urllib.parse.unquote(a["path"])
    status, headers, body = a["status"], a["headers"], a["body"]
    template = d.template_of(path)
    item = d.resolve(d.doc["paths"][template]) if template else {}
    operation = item.get(method)
    responses = operation["responses"] if operation else {}
    if str(status) not in responses and status in PROTOCOL:
        code = error_code(body)
        if code == PROTOCOL[status] or a["method"] == "HEAD":
            return []
        return [("protocol answer without jeton's error", f"error {code!r}")]
    if template is None:
        if status == 404 and (error_code(body) == "not_found" or a["method"] == "HEAD"):
            return []
        return [("unknown route", "a path the document does not describe")]
    if operation is None:
        allowed = {m.upper() for m in METHODS if m in item}
        if "GET" in allowed:
            allowed.add("HEAD")
        got = {m.strip() for m in headers.get("allow", "").split(",") if m.strip()}
        if status != 405:
            return [("undocumented method", f"{a['method']} answered {status}")]
        if got != allowed:
            return [("Allow differs from the document", f"{sorted(got)} != {sorted(allowed)}")]
        if error_code(body) != "method_not_allowed" and a["method"] != "HEAD":
            return [("405 without jeton's error", body[:80] if body else "")]
        return []
    if str(status) not in responses:
        return [("undocumented status", str(status))]
    ptr = f"/paths/{escape(template)}/{method}/responses/{status}"
    response = d.resolve(responses[str(status)])
    problems = []
    for name, h in response.get("headers", {}).items():
        h = d.resolve(h)
        value = headers.get(name.lower())
        if value is None:
            if h.get("required"):
                problems.append(("missing header", name))
            continue
        schema = d.resolve(h.get("schema", {}))
        instance = int(value) if schema.get("type") == "integer" and value.isdigit() else value
        if not Draft202012Validator(schema).is_valid(instance):
            problems.append(("header not valid", f"{name}: {value[:80]}"))
    ctype = headers.get("content-type", "")
    media = ctype.split(";")[0].strip().lower()
    content = response.get("content")
    if a["method"] == "HEAD" or body is None:
        return problems                       # no body to check
    if not content:
        if body or ctype:
            problems.append(("a body where none is documented", f"{ctype} {body[:80]!r}"))
        return problems
    if not body and not ctype:
        if not response.get("x-jeton-empty-body"):
            problems.append(("empty body", "the response documents content"))
        return problems
    if media not in content:
        problems.append(("undocumented Content-Type", ctype or "(none)"))
        return problems
    if media != "application/json":
        return problems
    try:
        value = json.loads(body)
    except ValueError:
        problems.append(("body not JSON", body[:80]))
        return problems
    schema_ptr = f"{ptr}/content/{escape(media)}/schema"
    if "$ref" in responses[str(status)]:
        schema_ptr = responses[str(status)]["$ref"][1:] + f"/content/{escape(media)}/schema"
    for e in d.validator(schema_ptr).iter_errors(value):
        # items/3/status and items/7/status are one mismatch
        where = "/".join("*" if isinstance(p, int) else p for p in e.absolute_path) or "(root)"
        problems.append(("body does not match the schema", f"at {where}: {e.message[:160]}"))
    return problems


def main(doc_path, directory):
    d = Description(doc_path)
    answers = []
    for name in sorted(glob.glob(os.path.join(directory, "*.jsonl"))):
        with open(name, encoding="utf-8") as f:
            answers += [json.loads(line) for line in f if line.strip()]
    if not answers:
        print(f"check_answers: no answers recorded in {directory} (was JETON_OPENAPI_RECORD "
              "set for the suite?)")
        return 1
    problems = collections.defaultdict(list)
    seen = set()
    for a in answers:
        template = d.template_of(urllib.parse.unquote(a["path"]))
        seen.add((template, "GET" if a["method"] == "HEAD" else a["method"], str(a["status"])))
        for kind, detail in check(d, a):
            problems[(a["method"], template or a["path"], a["status"], kind, detail)].append(a)
    documented = {(t, m.upper(), s) for t, item in d.doc["paths"].items()
                  for m, o in d.resolve(item).items() if m in METHODS for s in o["responses"]}
    unseen = sorted(documented - seen)
    print(f"check_answers: {len(answers)} distinct answers checked against {doc_path}; "
          f"{len(documented) - len(unseen)} of the {len(documented)} documented answers "
          f"(operation and status) met")
    if os.environ.get("JETON_OPENAPI_UNSEEN"):
        for t, m, s in unseen:
            print(f"  never met: {m} {t} {s}")
    if not problems:
        return 0
    print(f"check_answers: {len(problems)} kinds of answers do not match the document:")
    for (method, where, status, kind, detail), got in sorted(problems.items(),
                                                             key=lambda kv: str(kv[0])):
        first = got[0]
        print(f"- {method} {where} {status}: {kind}: {detail}  ({len(got)}x, e.g. "
              f"{first['test'] or 'outside a test'}: {a_text(first)})")
    return 1


def a_text(a):
    body = (a["body"] or "")[:200]
    return f"{a['method']} {a['path']} -> {a['status']} {a['headers'].get('content-type', '')} " \
           f"{body!r}"


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
