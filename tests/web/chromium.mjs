// Headless Chromium for the browser tests (Debian's /usr/bin/chromium,
// driven by playwright-core), over HTTPS with basic auth.
//
// The browser trusts the stack's test CA through its own NSS database (a
// fresh profile and HOME under the stack directory), not by ignoring
// certificate errors; without certutil (libnss3-tools) it falls back to
// ignoring them for this one origin's test run, and says so.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { BASE, CA, env } from "./common.mjs";

export const ORIGIN = new URL(BASE).origin;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

// launch({ user, password }): a fresh browser signed in as user.  Resolves
// to { context, page, trusted, external, problems, close }: external the
// requests that left the site, problems the console errors and page
// errors seen so far; close() ends the browser and removes its profile.
// Exits the process ("Bail out!") when Chromium does not start.
export async function launch({ user, password }) {
	const profile = fs.mkdtempSync(path.join(env("BPG_STACK_DIR"),
	    "chromium-"));
	const home = path.join(profile, "home");
	const userData = path.join(profile, "user-data");
	fs.mkdirSync(path.join(home, ".pki/nssdb"), { recursive: true });
	fs.mkdirSync(userData);
	let trusted = false;
	try {
		const db = `sql:${path.join(home, ".pki/nssdb")}`;
		execFileSync("certutil", ["-N", "-d", db, "--empty-password"],
		    { stdio: "ignore", timeout: 20000 });
		execFileSync("certutil", ["-A", "-d", db, "-n", "bpg test CA",
		    "-t", "C,,", "-i", CA], { stdio: "ignore", timeout: 20000 });
		trusted = true;
	} catch {
		console.log("# certutil failed or missing: certificate errors ignored");
	}
	let context;
	try {
		context = await chromium.launchPersistentContext(userData, {
			executablePath: CHROMIUM,
			headless: true,
			args: ["--headless", "--no-sandbox", "--disable-gpu",
			    "--disable-quic", "--no-first-run",
			    "--disable-background-networking",
			    "--disable-component-update", "--disable-sync"],
			env: { ...process.env, HOME: home },
			httpCredentials: { username: user, password,
			    origin: ORIGIN },
			ignoreHTTPSErrors: !trusted,
			viewport: { width: 1280, height: 1000 },
			timeout: 30000,
		});
	} catch (e) {
		console.log(`Bail out! Chromium did not start: ${e.message}`);
		fs.rmSync(profile, { recursive: true, force: true });
		process.exit(1);
	}
	const external = [];
	const problems = [];
	const page = context.pages()[0] || await context.newPage();
	page.setDefaultTimeout(20000);
	page.on("request", (r) => {
		const u = r.url();
		if (!u.startsWith(ORIGIN + "/") && !u.startsWith("data:"))
			external.push(u);
	});
	page.on("console", (m) => {
		if (m.type() === "error")
			problems.push(m.text());
	});
	page.on("pageerror", (e) => problems.push(String(e)));
	const close = async () => {
		await context.close().catch(() => {});
		fs.rmSync(profile, { recursive: true, force: true });
	};
	return { context, page, trusted, external, problems, close };
}
