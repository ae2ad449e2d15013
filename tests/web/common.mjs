// What the Node.js tests of tests/web/ (contract-test.mjs, browser-test.mjs)
// share: the stack's environment (the variables of DIR/env, written by
// tests/stack.sh), TAP reporting and a bounded HTTPS request.
//
// Importing it checks BPG_URL, BPG_CA and BPG_SHARED_DIR: a program run
// without them bails out.
import fs from "node:fs";
import https from "node:https";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const top = path.resolve(here, "../..");

// The value of a variable of the stack's environment; bails out when it is
// not set.
export const env = (name) => {
	const v = process.env[name];
	if (!v) {
		console.log(`Bail out! ${name} is not set: run through tests/integ.sh`);
		process.exit(1);
	}
	return v;
};
export const WEB = process.env.BPG_WEB || "web";
export const BASE = env("BPG_URL");
export const CA = env("BPG_CA");
export const SHARED = env("BPG_SHARED_DIR");

// The SparkPi request of the shared specification, as text.
export const sparkpiRequest = () =>
    fs.readFileSync(path.join(SHARED, "spec/sparkpi-request.json"), "utf8");

// tap NAME [{ why, done }]: TAP reporting for the program NAME.
//   ok, notOk, skip and check print the numbered result lines, tagged with
//   the web server; each diagnostic of a failure is shown by its first WHY
//   lines (default 10).
//   end() prints the plan and the summary "NAME (WEB): P DONE, F failed"
//   (DONE default "passed") and exits, with status 0 when nothing failed.
export function tap(name, { why = 10, done = "passed" } = {}) {
	let n = 0;
	let failed = 0;
	const ok = (desc) => console.log(`ok ${++n} - [${WEB}] ${desc}`);
	const notOk = (desc, ...diag) => {
		failed++;
		console.log(`not ok ${++n} - [${WEB}] ${desc}`);
		for (const w of diag)
			for (const l of String(w).split("\n").slice(0, why))
				console.log(`#   ${l}`);
	};
	const skip = (desc, reason) =>
	    console.log(`ok ${++n} - [${WEB}] ${desc} # SKIP ${reason}`);
	const check = (cond, desc, ...diag) =>
	    (cond ? ok(desc) : notOk(desc, ...diag));
	const end = () => {
		console.log(`1..${n}`);
		console.log(`# ${name} (${WEB}): ${n - failed} ${done}, ${failed} failed`);
		process.exit(failed ? 1 : 0);
	};
	return { ok, notOk, skip, check, end };
}

let stackCa;

// request METHOD URL [{ auth, bearer, body, ctype, ca }]: one HTTPS request,
// bounded (15 s).  auth is "user:password" for basic auth, bearer a token;
// ca the certificates to trust (default the stack's CA, BPG_CA).  Resolves
// to { status, headers, text }, status 0 and the error as text when the
// request failed.
export function request(method, url, { auth, body, ctype, ca, bearer } = {}) {
	ca ??= stackCa ??= fs.readFileSync(CA);
	return new Promise((res) => {
		const u = new URL(url);
		const headers = {};
		if (auth) headers.Authorization =
		    "Basic " + Buffer.from(auth).toString("base64");
		if (bearer) headers.Authorization = `Bearer ${bearer}`;
		if (ctype) headers["Content-Type"] = ctype;
		if (body !== undefined) headers["Content-Length"] = Buffer.byteLength(body);
		const r = https.request({ method, hostname: u.hostname, port: u.port,
		    path: u.pathname + u.search, headers, ca, timeout: 15000 },
		    (resp) => {
			const chunks = [];
			resp.on("data", (c) => chunks.push(c));
			resp.on("end", () => res({ status: resp.statusCode,
			    headers: resp.headers,
			    text: Buffer.concat(chunks).toString("utf8") }));
		});
		r.on("timeout", () => r.destroy(new Error("timeout")));
		r.on("error", (e) => res({ status: 0, headers: {}, text: String(e) }));
		if (body !== undefined) r.write(body);
		r.end();
	});
}
