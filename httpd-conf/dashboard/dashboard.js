// The dashboard: everything comes from the gateway's API, called from the
// browser with the credentials the web server asked for (basic auth).
// Nothing from an answer is ever parsed as HTML: text goes in with
// textContent, links are built from IDs with encodeURIComponent.
"use strict";

(() => {
	const API = document.querySelector('meta[name="bpg-api"]').content
	    .replace(/\/+$/, "");
	const LIVE_MS = 3000;		// submissions and clusters
	const REPORT_MS = 60000;	// the report panels
	const MAX_ROWS = 100;
	const DAY_MS = 86400000;
	const COLORS = ["#0550ae", "#bc4c00", "#116329", "#8250df", "#a40e26",
	    "#1b7c83", "#7d4e00", "#57606a"];

	const $ = (sel) => document.querySelector(sel);
	const statusLine = $("#status");
	let admin = false;
	let chart = null;

	function say(text, bad) {
		statusLine.textContent = text;
		statusLine.classList.toggle("error", !!bad);
	}

	async function api(path) {
		const r = await fetch(API + path, {
			credentials: "same-origin",
			headers: { Accept: "application/json" },
			cache: "no-store",
		});
		let body = null;
		try {
			body = await r.json();
		} catch {
			body = null;
		}
		return { status: r.status, body };
	}

	function el(tag, text, cls) {
		const e = document.createElement(tag);
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		if (cls)
			e.className = cls;
		return e;
	}

	function td(text, cls) {
		return el("td", text, cls);
	}

	function link(href, text, label) {
		const a = el("a", text);
		a.href = href;
		a.target = "_blank";
		a.rel = "noopener";
		if (label)
			a.setAttribute("aria-label", label);
		return a;
	}

	function badge(state) {
		const s = state || "UNKNOWN";
		return el("span", s, "state " + s.replace(/[^A-Za-z_-]/g, ""));
	}

	function when(ms) {
		if (typeof ms !== "number" || ms <= 0)
			return "";
		return new Date(ms).toLocaleString(undefined, {
			year: "numeric", month: "short", day: "numeric",
			hour: "2-digit", minute: "2-digit", second: "2-digit",
		});
	}

	function took(ms) {
		if (typeof ms !== "number" || ms < 0)
			return "";
		const s = Math.round(ms / 1000);
		if (s < 60)
			return s + " s";
		if (s < 3600)
			return Math.floor(s / 60) + " min " + (s % 60) + " s";
		return Math.floor(s / 3600) + " h " +
		    Math.floor((s % 3600) / 60) + " min";
	}

	function fill(tbody, rows) {
		tbody.replaceChildren(...rows);
	}

	// ---- the caller's submissions ---------------------------------------

	function submissionRow(s) {
		const tr = el("tr");
		const id = s.submissionId || "";
		const enc = encodeURIComponent(id);
		tr.dataset.id = id;
		tr.append(td(id, "id"), td(s.applicationName || ""));
		const st = td();
		st.append(badge(s.applicationState));
		if (s.applicationErrorMessage)
			st.title = s.applicationErrorMessage;
		tr.append(st, td(s.queue || ""), td(when(s.creationTime)));
		let d = s.duration;
		if (typeof d !== "number" && typeof s.creationTime === "number")
			d = (s.terminationTime || Date.now()) - s.creationTime;
		tr.append(td(took(d), "num"));
		const links = td(null, "links");
		links.append(
		    link(`${API}/log?subId=${enc}`, "log", `driver log of ${id}`),
		    link(`${API}/spark/${enc}/spec`, "spec", `spec of ${id}`),
		    link(`${API}/spark/${enc}/describe`, "describe",
			`description of ${id}`));
		tr.append(links);
		return tr;
	}

	async function loadSubmissions() {
		const r = await api("/spark/mySubmissions");
		if (r.status !== 200 || !r.body || !Array.isArray(r.body.submissions))
			throw new Error(`your submissions: HTTP ${r.status}` +
			    (r.body && r.body.message ? `: ${r.body.message}` : ""));
		const subs = r.body.submissions.slice()
		    .sort((a, b) => (b.creationTime || 0) - (a.creationTime || 0))
		    .slice(0, MAX_ROWS);
		fill($("#subs tbody"), subs.map(submissionRow));
		$("#subs-empty").hidden = subs.length > 0;
	}

	// ---- admins: clusters, states, cost, notifications --------------------

	async function loadClusters() {
		const r = await api("/admin/clusters");
		if (r.status !== 200 || !r.body || !Array.isArray(r.body.clusters))
			throw new Error(`clusters: HTTP ${r.status}`);
		fill($("#clusters tbody"), r.body.clusters.map((c) => {
			const tr = el("tr");
			const st = td();
			st.append(badge(c.state));
			tr.append(td(c.id, "id"), td(c.weight, "num"), st,
			    td(c.consecutiveFailures, "num"),
			    td(c.submissionsLastMinute, "num"),
			    td(c.lastError ? `${c.lastError} (${when(c.lastErrorTime)})`
				: "", "wrap"));
			return tr;
		}));
	}

	function day(ms) {
		return new Date(ms).toISOString().slice(0, 10);
	}

	// Midnight UTC today: reports count whole UTC days.
	function todayUtc() {
		const d = new Date();
		return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(),
		    d.getUTCDate());
	}

	async function report(from, to, groupBy) {
		const r = await api(`/admin/report?from=${from}&to=${to}` +
		    `&groupBy=${groupBy}&format=json`);
		if (r.status !== 200 || !r.body || !Array.isArray(r.body.rows))
			throw new Error(`report by ${groupBy}: HTTP ${r.status}` +
			    (r.body && r.body.message ? `: ${r.body.message}` : ""));
		return r.body.rows;
	}

	async function loadStates() {
		const today = todayUtc();
		const rows = await report(day(today - 29 * DAY_MS),
		    day(today + DAY_MS), "cluster");
		// The report's states, in its order, those with a job.
		const seen = [];
		for (const r of rows)
			for (const [k, v] of Object.entries(r.states || {}))
				if (v > 0 && !seen.includes(k))
					seen.push(k);
		const head = el("tr");
		head.append(el("th", "Cluster"), el("th", "Jobs", "num"),
		    ...seen.map((s) => el("th", s, "num")),
		    el("th", "Share", "num"), el("th", "Weight", "num"));
		for (const th of head.children)
			th.scope = "col";
		$("#states thead").replaceChildren(head);
		fill($("#states tbody"), rows.map((r) => {
			const tr = el("tr");
			tr.append(td(r.key, "id"), td(r.jobs, "num"),
			    ...seen.map((s) => td((r.states && r.states[s]) || 0,
				"num")),
			    td(typeof r.share === "number" ?
				(100 * r.share).toFixed(1) + " %" : "", "num"),
			    td(r.weight ?? "", "num"));
			return tr;
		}));
	}

	async function loadCost() {
		const today = todayUtc();
		const days = [];
		for (let i = 13; i >= 0; i--)
			days.push(today - i * DAY_MS);
		const perDay = await Promise.all(days.map((d) =>
		    report(day(d), day(d + DAY_MS), "queue")));
		const queues = [...new Set(perDay.flatMap((rows) =>
		    rows.map((r) => r.key)))].sort();
		const cost = queues.map((q) => perDay.map((rows) => {
			const r = rows.find((x) => x.key === q);
			return r ? Number(r.cost) || 0 : 0;
		}));
		// The table: one row per queue, one column per day.
		const head = el("tr");
		head.append(el("th", "Queue"),
		    ...days.map((d) => el("th", day(d).slice(5), "num")));
		for (const th of head.children)
			th.scope = "col";
		$("#cost thead").replaceChildren(head);
		fill($("#cost tbody"), queues.map((q, i) => {
			const tr = el("tr");
			tr.dataset.queue = q;
			tr.append(td(q, "id"), ...cost[i].map((c) =>
			    td(c ? c.toFixed(4) : "0", "num")));
			return tr;
		}));
		drawCost(days, queues, cost);
	}

	function drawCost(days, queues, cost) {
		const box = $("#cost-chart");
		const width = Math.max(320, box.clientWidth || 900);
		const data = [days.map((d) => d / 1000), ...cost];
		const opts = {
			width, height: 300,
			scales: { x: { time: true } },
			axes: [{}, { label: "cost", size: 70 }],
			series: [{ label: "day" }, ...queues.map((q, i) => ({
				label: q,
				stroke: COLORS[i % COLORS.length],
				width: 2,
				points: { show: true, size: 6 },
			}))],
		};
		if (chart)
			chart.destroy();
		box.replaceChildren();
		box.dataset.series = String(queues.length);
		box.dataset.total = String(cost.flat().reduce((a, b) => a + b, 0));
		if (queues.length === 0) {
			box.append(el("p", "No finished jobs in these days.", "hint"));
			return;
		}
		chart = new window.uPlot(opts, data, box);
	}

	async function loadNotifications() {
		const r = await api("/admin/notifications?state=failed");
		const empty = $("#notif-empty");
		if (r.status !== 200 || !r.body ||
		    !Array.isArray(r.body.notifications)) {
			fill($("#notif tbody"), []);
			empty.hidden = false;
			empty.textContent = `Not available (HTTP ${r.status}).`;
			return;
		}
		const list = r.body.notifications;
		fill($("#notif tbody"), list.map((n) => {
			const tr = el("tr");
			tr.append(td(n.submissionId, "id"), td(n.state),
			    td(n.host || ""), td(n.attempts, "num"),
			    td(n.lastError || (n.lastStatusCode ?
				`HTTP ${n.lastStatusCode}` : ""), "wrap"),
			    td(when(n.time)));
			return tr;
		}));
		empty.textContent = "None.";
		empty.hidden = list.length > 0;
	}

	// ---- the loops ----------------------------------------------------------

	async function live() {
		try {
			await loadSubmissions();
			if (admin)
				await loadClusters();
			say(`Updated ${new Date().toLocaleTimeString()}`);
		} catch (e) {
			say(e.message, true);
		}
		setTimeout(live, LIVE_MS);
	}

	async function reports() {
		try {
			await Promise.all([loadStates(), loadCost(),
			    loadNotifications()]);
			document.body.dataset.reports = "loaded";
		} catch (e) {
			document.body.dataset.reports = "failed";
			say(e.message, true);
		}
		setTimeout(reports, REPORT_MS);
	}

	async function start() {
		const me = await api("/me").catch(() => ({ status: 0 }));
		if (me.status !== 200 || !me.body) {
			say(`who you are: HTTP ${me.status}`, true);
		} else {
			admin = me.body.admin === true;
			$("#who").textContent = me.body.user;
		}
		$("#admin").hidden = !admin;
		document.body.dataset.admin = admin ? "yes" : "no";
		await live();
		if (admin)
			await reports();
		document.body.dataset.ready = "yes";
	}

	start();
})();
