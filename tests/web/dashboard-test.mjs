// Browser test of the dashboard (/dashboard/) behind the web server: real
// headless Chromium (tests/web/chromium.mjs) over HTTPS with basic auth,
// and a bpg-monitor of its own so that the database follows the
// submission (the admin panels read reports from it).
//
//   . DIR/env; node tests/web/dashboard-test.mjs    (tests/integ.sh runs it)
//
// 1. As alice: the page loads with no script error, no request leaving the
//    site and no Content-Security-Policy violation; a SparkPi submitted in
//    the test shows up and its state changes to COMPLETED on the page,
//    with links to its log, spec and description; the admin panels are
//    neither shown nor asked for; the keyboard reaches the skip link and
//    the submission's links.
// 2. As carol (an admin): the clusters' breakers, the jobs per cluster and
//    state (the test's submission counted as COMPLETED), and the cost chart
//    drawn from the reports, with a series for the test's queue.
// Screenshots go to var/web/dashboard-<web server>-user.png and -admin.png.
//
// TAP output; exit status 0 when every case passed.  The whole run is
// bounded (240 s).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { BASE, WEB, env, request, sparkpiRequest, tap, top }
    from "./common.mjs";
import { ORIGIN, launch } from "./chromium.mjs";

const STACK = env("BPG_STACK_DIR");
const BUILD = process.env.BUILD || "build";
const SHOT_USER = path.join(top, "var/web", `dashboard-${WEB}-user.png`);
const SHOT_ADMIN = path.join(top, "var/web", `dashboard-${WEB}-admin.png`);

const { notOk, check, end } = tap("dashboard-test");

let monitor = null;
const watchdog = setTimeout(() => {
	console.log("Bail out! dashboard test took longer than 240 s");
	if (monitor)
		monitor.kill("SIGKILL");
	process.exit(1);
}, 240000);

// The monitor records the submission's states in the database.
const log = fs.openSync(path.join(STACK, "monitor-dashboard.log"), "w");
monitor = spawn(path.join(top, BUILD, "bpg-monitor"),
    ["-c", path.join(STACK, "config.yaml"), "-v"],
    { stdio: ["ignore", log, log] });

const sub = await request("POST", `${BASE}/spark`, { auth: "alice:alice-pw",
    body: sparkpiRequest(), ctype: "application/json" });
let id = "";
try {
	id = JSON.parse(sub.text).submissionId || "";
} catch {
	id = "";
}
check(sub.status === 200 && id !== "", `POST /spark as alice: ${id}`,
    `${sub.status} ${sub.text}`);
const cluster = id.replace(/-[0-9a-f]{32}$/, "");

// Waits until fn() (in the page) is true; false after ms.
async function until(page, fn, arg, ms) {
	try {
		await page.waitForFunction(fn, arg, { timeout: ms, polling: 250 });
		return true;
	} catch {
		return false;
	}
}

function clean(name, b) {
	check(b.external.length === 0, `${name}: no request leaves the site`,
	    b.external.join("\n"));
	const csp = b.problems.filter((p) =>
	    /Content Security Policy|Refused to/i.test(p));
	check(csp.length === 0, `${name}: no Content-Security-Policy violation`,
	    csp.join("\n"));
	check(b.problems.length === 0, `${name}: no error in the console`,
	    b.problems.join("\n"));
}

// ---- 1. alice -------------------------------------------------------------
let b = await launch({ user: "alice", password: "alice-pw" });
try {
	const adminCalls = [];
	b.page.on("request", (r) => {
		if (/\/admin\/(report|notifications|clusters)/.test(r.url()))
			adminCalls.push(r.url());
	});
	const resp = await b.page.goto(`${ORIGIN}/dashboard/`,
	    { waitUntil: "load" });
	check(resp && resp.status() === 200, "GET /dashboard/ as alice",
	    resp ? resp.status() : "no answer");
	const row = `#subs tr[data-id="${id}"]`;
	check(await until(b.page, (sel) => document.querySelector(sel) !== null,
	    row, 60000), "the test's submission is listed");
	const done = await until(b.page, (sel) => {
		const s = document.querySelector(sel + " .state");
		return s !== null && s.textContent === "COMPLETED";
	}, row, 120000);
	const state = await b.page.locator(`${row} .state`).textContent()
	    .catch(() => "none");
	check(done, "its state changes to COMPLETED on the page",
	    `shown: ${state}`);
	const hrefs = await b.page.$$eval(`${row} a`, (as) =>
	    as.map((a) => a.getAttribute("href")));
	const api = new URL(BASE).pathname;
	check(hrefs.includes(`${api}/log?subId=${id}`) &&
	    hrefs.includes(`${api}/spark/${id}/spec`) &&
	    hrefs.includes(`${api}/spark/${id}/describe`),
	    "links to its log, spec and description", hrefs.join(" "));
	const spec = await b.page.evaluate((u) => fetch(u).then((r) => r.status,
	    (e) => String(e)), `${api}/spark/${id}/spec`);
	check(spec === 200, "the spec link answers 200 in the browser", spec);
	check(await b.page.locator("#admin").isHidden() &&
	    await b.page.evaluate(() => document.body.dataset.admin) === "no",
	    "no admin panel for a non-admin");
	check(adminCalls.length === 0, "no report asked for by a non-admin",
	    adminCalls.join("\n"));
	await b.page.keyboard.press("Tab");
	const first = await b.page.evaluate(() =>
	    document.activeElement.className);
	let reached = false;
	for (let i = 0; i < 6 && !reached; i++) {
		await b.page.keyboard.press("Tab");
		reached = await b.page.evaluate((sel) => document.activeElement
		    .closest(sel) !== null, row);
	}
	check(first === "skip" && reached,
	    "the keyboard reaches the skip link, then the submission's links",
	    `first focus: ${first}`);
	fs.mkdirSync(path.dirname(SHOT_USER), { recursive: true });
	await b.page.screenshot({ path: SHOT_USER, fullPage: true });
	clean("alice", b);
} catch (e) {
	notOk("alice's session", e.stack || e.message);
} finally {
	await b.close();
}

// ---- 2. carol, an admin ---------------------------------------------------
b = await launch({ user: "carol", password: "carol-pw" });
try {
	const resp = await b.page.goto(`${ORIGIN}/dashboard/`,
	    { waitUntil: "load" });
	check(resp && resp.status() === 200, "GET /dashboard/ as carol",
	    resp ? resp.status() : "no answer");
	check(await until(b.page, () => document.body.dataset.admin === "yes",
	    null, 30000) && await b.page.locator("#admin").isVisible(),
	    "the admin panels are shown to an admin");
	check(await until(b.page, () =>
	    document.querySelectorAll("#clusters tbody tr").length === 2, null,
	    30000), "both clusters' breakers are listed");
	// The monitor may record COMPLETED a little after the page saw it.
	let counted = false;
	const by = Date.now() + 90000;
	while (!counted && Date.now() < by) {
		await b.page.reload({ waitUntil: "load" });
		if (!await until(b.page, () => document.body.dataset.reports ===
		    "loaded", null, 30000))
			break;
		counted = await b.page.evaluate((c) => {
			const head = [...document.querySelectorAll(
			    "#states thead th")].map((t) => t.textContent);
			const col = head.indexOf("COMPLETED");
			const tr = [...document.querySelectorAll("#states tbody tr")]
			    .find((r) => r.cells[0].textContent === c);
			return col > 0 && tr !== undefined &&
			    Number(tr.cells[col].textContent) >= 1;
		}, cluster);
	}
	check(counted, `jobs per cluster and state: ${cluster} has a COMPLETED job`,
	    await b.page.locator("#states").innerText().catch(() => ""));
	const chart = await b.page.evaluate(() => {
		const box = document.querySelector("#cost-chart");
		return { canvas: box.querySelector("canvas") !== null,
		    series: Number(box.dataset.series || 0),
		    queues: [...document.querySelectorAll("#cost tbody tr")]
			.map((r) => r.dataset.queue) };
	});
	check(chart.canvas && chart.series >= 1 && chart.queues.length >= 1,
	    `the cost chart is drawn (${chart.series} queue(s): ` +
	    `${chart.queues.join(", ")})`, JSON.stringify(chart));
	await b.page.screenshot({ path: SHOT_ADMIN, fullPage: true });
	clean("carol", b);
} catch (e) {
	notOk("carol's session", e.stack || e.message);
} finally {
	await b.close();
	monitor.kill("SIGKILL");
	clearTimeout(watchdog);
}

check([SHOT_USER, SHOT_ADMIN].every((f) => fs.existsSync(f) &&
    fs.statSync(f).size > 5000),
    `screenshots saved: ${path.relative(top, SHOT_USER)} (and -admin)`);
end();
