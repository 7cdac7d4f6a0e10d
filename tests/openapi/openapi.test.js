// SPDX-License-Identifier: MIT
// jeton's API description, docs/openapi.json, as a client generator or a
// validator will read it: valid OpenAPI 3.1 (by @seriousme's validator,
// which checks it against the specification's own schema and resolves every
// $ref), every schema in it strict JSON Schema 2020-12 (Ajv in strict mode:
// an unknown keyword or a required property it does not define fails), and exactly the
// routes jeton serves on the surfaces it covers. That every answer of the
// end-to-end suite matches it is tests/openapi/check_answers.py's part.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const root = fileURLToPath(new URL("../../", import.meta.url));
const docPath = `${root}docs/openapi.json`;
const doc = JSON.parse(readFileSync(docPath, "utf-8"));
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
// The surfaces the document covers: the routes of serve_routes.c it must describe.
const COVERED = /^\/(v1|oauth|auth|\.well-known)\/|^\/(healthz|metrics|openapi\.json)$/;

test("docs/openapi.json is valid OpenAPI 3.1, every $ref resolving", async () => {
	const validator = new Validator();
	const result = await validator.validate(docPath);
	assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
	assert.equal(validator.version, "3.1");
});

// Every schema object of the document: the components' and the inline ones
// of parameters, bodies, responses and headers, with where each is.
function schemasOf(node, where, out) {
	if (Array.isArray(node)) {
		node.forEach((v, i) => schemasOf(v, `${where}/${i}`, out));
		return out;
	}
	if (node === null || typeof node !== "object") return out;
	for (const [key, value] of Object.entries(node)) {
		if (key === "schema" && !where.startsWith("/components/schemas")) out.push([`${where}/schema`, value]);
		else schemasOf(value, `${where}/${key}`, out);
	}
	return out;
}

// The document's refs point into it (#/components/schemas/X); Ajv gets the
// components as one schema of its own, so they point there.
function rebased(schema) {
	return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"urn:jeton:schemas#/$defs/'));
}

test("every schema in it is strict JSON Schema 2020-12", () => {
	const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: true, allErrors: true });
	addFormats(ajv);
	ajv.addKeyword("example"); // OpenAPI's, an annotation
	ajv.addSchema({ $id: "urn:jeton:schemas", $defs: rebased(doc.components.schemas) });
	for (const name of Object.keys(doc.components.schemas))
		assert.doesNotThrow(() => ajv.getSchema(`urn:jeton:schemas#/$defs/${name}`), `components/schemas/${name}`);
	const inline = schemasOf(doc.paths, "/paths", []).concat(schemasOf(doc.components.responses, "/components/responses", []),
		schemasOf(doc.components.headers, "/components/headers", []));
	assert.ok(inline.length > 50, `only ${inline.length} inline schemas found`);
	for (const [where, schema] of inline)
		assert.doesNotThrow(() => ajv.compile(rebased(schema)), where);
});

test("it describes exactly the routes jeton serves on /v1, /oauth, /auth, /.well-known and the service paths", () => {
	const table = readFileSync(`${root}src/cli/serve_routes.c`, "utf-8");
	const served = new Set();
	for (const [, methods, pattern] of table.matchAll(/\{([A-Z_ |]+), "([^"]+)", \w+\}/g)) {
		if (!COVERED.test(pattern)) continue;
		for (const m of methods.split("|")) served.add(`${m.trim().replace("HTTP_", "").toLowerCase()} ${pattern}`);
	}
	assert.ok(served.size > 30, `only ${served.size} routes read from serve_routes.c`);
	const described = new Set();
	for (const [path, item] of Object.entries(doc.paths))
		for (const m of METHODS) if (item[m]) described.add(`${m} ${path.replace(/\{[^}]+\}/g, "{}")}`);
	const missing = [...served].filter((r) => !described.has(r)).sort();
	const extra = [...described].filter((r) => !served.has(r)).sort();
	assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
});

test("every operation names itself and documents the answers any endpoint may give", () => {
	const ids = new Set();
	for (const [path, item] of Object.entries(doc.paths)) {
		for (const m of METHODS) {
			const op = item[m];
			if (!op) continue;
			assert.ok(op.operationId && !ids.has(op.operationId), `${m} ${path}: operationId`);
			ids.add(op.operationId);
			for (const status of ["500", "503"]) assert.ok(op.responses[status], `${m} ${path}: no ${status}`);
		}
	}
});

test("its version is jeton's (the Makefile's VERSION)", () => {
	const version = readFileSync(`${root}Makefile`, "utf-8").match(/^VERSION\s*:=\s*(\S+)/m)[1];
	assert.equal(doc.info.version, version);
});
