// Browser test of Swagger UI behind the web server: real headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core) over HTTPS with
// basic auth.
//
//   . DIR/env; node tests/web/browser-test.mjs      (tests/integ.sh runs it)
//
// 1. /swagger-ui/ renders and lists every operation of the gateway.
// 2. "Try it out" on GET /healthcheck/status answers 200.
// 3. "Try it out" on POST /spark with the SparkPi request answers a
//    submission ID, and that SparkApplication exists in the Kubernetes API
//    stand-in.
// 4. The page makes no request outside the site and breaks no
//    Content-Security-Policy rule.
// Screenshots go to var/web/: swagger-ui-<web server>.png (the whole page
// after both calls), -list.png (the operations as the page opens) and
// -submit.png (the answer to POST /spark).
//
// The browser trusts the stack's test CA (tests/web/chromium.mjs).
//
// TAP output; exit status 0 when every case passed.  The whole run is
// bounded (120 s).
import fs from "node:fs";
import path from "node:path";
import { BASE, WEB, env, request, sparkpiRequest, tap, top }
    from "./common.mjs";
import { ORIGIN, launch } from "./chromium.mjs";

const SHOT = path.join(top, "var/web", `swagger-ui-${WEB}.png`);
const SHOT_LIST = path.join(top, "var/web", `swagger-ui-${WEB}-list.png`);
const SHOT_SUBMIT = path.join(top, "var/web", `swagger-ui-${WEB}-submit.png`);

const watchdog = setTimeout(() => {
	console.log("Bail out! browser test took longer than 120 s");
	process.exit(1);
}, 120000);

const { notOk, check, end } = tap("browser-test");

const { page, trusted, external, problems, close } =
    await launch({ user: "alice", password: "alice-pw" });

try {
	const resp = await page.goto(`${ORIGIN}/swagger-ui/`,
	    { waitUntil: "load" });
	check(resp && resp.status() === 200,
	    `GET /swagger-ui/ over HTTPS${trusted ? " (test CA trusted)" : ""}`,
	    resp ? resp.status() : "no answer");

	// Every operation of the document is listed.
	await page.waitForSelector(".opblock .opblock-summary-path", { timeout: 30000 })
	    .catch(() => {});
	const listed = await page.$$eval(".opblock", (els) => els.map((e) => {
		const m = e.querySelector(".opblock-summary-method");
		const p = e.querySelector(".opblock-summary-path");
		return `${m ? m.textContent.trim() : "?"} ` +
		    `${p ? (p.getAttribute("data-path") || p.textContent.trim()) : "?"}`;
	}));
	const want = ["POST /spark", "DELETE /spark/{submissionId}",
	    "GET /spark/{submissionId}/status", "GET /spark/{submissionId}/spec",
	    "GET /spark/{submissionId}/driver",
	    "GET /spark/{submissionId}/describe", "GET /spark/mySubmissions",
	    "GET /log", "POST /s3/{name}", "GET /admin/submissions",
	    "GET /admin/version", "GET /healthcheck/status", "GET /openapi.json",
	    "GET /openapi.yaml"];
	const missing = want.filter((w) => !listed.includes(w));
	check(missing.length === 0,
	    `the page lists all ${want.length} operations`,
	    `missing: ${missing.join(", ")}`, `listed: ${listed.join(", ")}`);
	fs.mkdirSync(path.dirname(SHOT), { recursive: true });
	await page.screenshot({ path: SHOT_LIST });

	// "Try it out" + "Execute" on one operation; returns the answer the
	// browser got, as the page shows it.
	async function tryIt(id, fill) {
		const op = page.locator(`#${id}`);
		await op.locator(".opblock-summary").first().click();
		await op.locator("button.try-out__btn").click();
		if (fill)
			await fill(op);
		const [answer] = await Promise.all([
			page.waitForResponse((r) => r.url().startsWith(`${BASE}/`) &&
			    r.request().method() !== "OPTIONS", { timeout: 30000 }),
			op.locator("button.execute").click(),
		]);
		const shown = op.locator(".live-responses-table tr.response .response-col_status")
		    .first();
		await shown.waitFor({ timeout: 20000 });
		return { answer, shown: (await shown.textContent()).trim(),
		    body: await answer.text() };
	}

	const health = await tryIt("operations-Health-healthcheck");
	check(health.shown === "200" && health.answer.status() === 200 &&
	    health.body.includes('"status":"OK"'),
	    "Try it out: GET /healthcheck/status shows 200 {\"status\":\"OK\"}",
	    `shown ${health.shown}, got ${health.answer.status()} ${health.body}`);

	const sparkpi = sparkpiRequest();
	const submit = await tryIt("operations-Submissions-submitApplication",
	    async (op) => {
		const box = op.locator("textarea.body-param__text");
		await box.fill(sparkpi);
	});
	await page.locator("#operations-Submissions-submitApplication " +
	    ".live-responses-table").first().screenshot({ path: SHOT_SUBMIT })
	    .catch(() => {});
	let id = "";
	try {
		id = JSON.parse(submit.body).submissionId || "";
	} catch {
		id = "";
	}
	check(submit.shown === "200" && /^spark-cluster-[ab]-[0-9a-f]{32}$/.test(id),
	    `Try it out: POST /spark with SparkPi shows 200 and a submission ID (${id})`,
	    `shown ${submit.shown}, got ${submit.answer.status()} ${submit.body}`);

	if (id) {
		const kube = id.startsWith("spark-cluster-a-") ? env("BPG_KUBE_A") :
		    env("BPG_KUBE_B");
		const cr = await request("GET", `${kube}/apis/sparkoperator.k8s.io/` +
		    `v1beta2/namespaces/spark-applications/sparkapplications/${id}`,
		    { ca: fs.readFileSync(env("BPG_KUBE_CA")),
		    bearer: env("BPG_KUBE_TOKEN") });
		let labels = {};
		try {
			labels = JSON.parse(cr.text).metadata.labels || {};
		} catch {
			labels = {};
		}
		check(cr.status === 200 && labels.proxyUser === "alice",
		    "the submission exists in the Kubernetes API stand-in, as alice's",
		    `${cr.status} ${cr.text.slice(0, 300)}`);
	} else {
		notOk("the submission exists in the Kubernetes API stand-in",
		    "no submission ID");
	}

	check(external.length === 0, "no request leaves the site",
	    external.join("\n"));
	const csp = problems.filter((p) => /Content Security Policy|Refused to/i.test(p));
	check(csp.length === 0, "no Content-Security-Policy violation",
	    csp.join("\n"));
	check(problems.length === 0, "no script error on the page",
	    problems.join("\n"));

	// The whole page with both answers, for a human to look at.
	await page.evaluate(() => window.scrollTo(0, 0));
	await page.screenshot({ path: SHOT, fullPage: true });
	check([SHOT, SHOT_LIST, SHOT_SUBMIT].every((f) => fs.existsSync(f) &&
	    fs.statSync(f).size > 5000),
	    `screenshots saved: ${path.relative(top, SHOT)} (-list, -submit)`);
} catch (e) {
	notOk("browser session", e.stack || e.message);
} finally {
	await close();
	clearTimeout(watchdog);
}

end();
