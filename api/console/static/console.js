// The teacher console: calls the JSON API with the signed-in teacher's access token.
"use strict";
(function () {
  const API = "/api/v1";
  const body = document.body;
  const $ = (selector) => document.querySelector(selector);
  const token = () => sessionStorage.getItem("console.token");

  function say(text) { $("#status").textContent = text; }
  function problem(text) {
    const box = $("#problem");
    box.textContent = text || "";
    box.hidden = !text;
  }

  async function api(method, path, data, extraHeaders) {
    const headers = { Accept: "application/json", ...extraHeaders };
    if (token()) headers.Authorization = "Bearer " + token();
    if (data !== undefined) headers["Content-Type"] = "application/json";
    const answer = await fetch(API + path, {
      method, headers, body: data === undefined ? undefined : JSON.stringify(data),
    });
    if (answer.status === 401 && body.dataset.page !== "index") {
      sessionStorage.removeItem("console.token");
      location.href = "/console";
    }
    const text = await answer.text();
    const parsed = text ? JSON.parse(text) : null;
    if (!answer.ok) {
      const error = new Error((parsed && (parsed.detail || parsed.title)) || answer.statusText);
      error.code = parsed && parsed.code;
      throw error;
    }
    return parsed;
  }

  function guard(fn) {
    return async function (event) {
      if (event && event.preventDefault) event.preventDefault();
      problem("");
      try { await fn(event); } catch (error) { problem(error.message); }
    };
  }

  function element(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    });
    (children || []).forEach((child) => node.append(child));
    return node;
  }

  function formData(form) {
    const data = {};
    new FormData(form).forEach((value, key) => { if (value !== "") data[key] = value; });
    return data;
  }

  // Sign-in and classes

  async function showClasses() {
    $("#sign-in").hidden = true;
    $("#classes").hidden = false;
    const page = await api("GET", "/classes?per_page=100");
    const list = $("#class-list");
    list.replaceChildren(...page.items.map((c) => element("li", {}, [
      element("a", { href: "/console/classes/" + c.id, text: c.name })])));
    if (!page.items.length) list.append(element("li", { text: "No classes yet." }));
  }

  function indexPage() {
    $("#sign-in-form").addEventListener("submit", guard(async (event) => {
      const answer = await api("POST", "/auth/login", formData(event.target));
      sessionStorage.setItem("console.token", answer.access_token);
      say("Signed in.");
      $("#sign-out").hidden = false;
      await showClasses();
    }));
    $("#class-form").addEventListener("submit", guard(async (event) => {
      const created = await api("POST", "/classes", formData(event.target));
      location.href = "/console/classes/" + created.id;
    }));
    if (token()) guard(showClasses)(); else $("#sign-in").hidden = false;
  }

  // A class

  async function loadClass(id) {
    const info = await api("GET", "/classes/" + id);
    $("#class-title").textContent = info.name;
    const members = await api("GET", "/classes/" + id + "/members");
    $("#member-list").replaceChildren(...members.items.map((m) =>
      element("li", { text: m.name + " <" + m.email + "> · " + m.role })));
    const assignments = await api("GET", "/assignments?per_page=100&class_id=" + id);
    $("#assignment-list").replaceChildren(...assignments.items.map((a) => element("li", {}, [
      element("a", { href: "/console/assignments/" + a.id, text: a.title + " (" + a.kind + ")" })])));
  }

  function classPage() {
    const id = body.dataset.classId;
    $("#member-form").addEventListener("submit", guard(async () => {
      const emails = $("#member-emails").value.split(/[\s,;]+/).filter(Boolean);
      await api("POST", "/classes/" + id + "/members", { role: "learner", emails });
      $("#member-emails").value = "";
      say("Learners added.");
      await loadClass(id);
    }));
    $("#assignment-form").addEventListener("submit", guard(async (event) => {
      const data = formData(event.target);
      data.class_id = id;
      if (data.due_at) data.due_at = data.due_at + "T23:59:00+00:00";
      const created = await api("POST", "/assignments", data);
      location.href = "/console/assignments/" + created.id;
    }));
    guard(() => loadClass(id))();
  }

  // An assignment: upload straight to storage, batch progress, results, review, export

  async function uploadAll(id, assignment) {
    const files = Array.from($("#files").files);
    if (!files.length) throw new Error("Choose files first.");
    const list = $("#upload-list");
    const rows = files.map((file) => element("li", {}, [
      element("label", { text: file.name }), element("progress", { max: "100", value: "0",
        "aria-label": "Upload of " + file.name }), element("span", { text: "waiting" })]));
    list.replaceChildren(...rows);
    const overall = () => {
      const total = rows.reduce((sum, row) => sum + Number(row.querySelector("progress").value), 0);
      $("#overall-progress").value = Math.round(total / rows.length);
    };
    const { key, media } = await uploads.uploadFiles(id, files, rows, overall, $("#pattern").value);
    overall();
    const sheets = media.filter((m) => m.kind === "document");
    const zips = media.filter((m) => m.kind === "archive");
    const recordings = media.filter((m) => m.kind === "audio" || m.kind === "video");
    const request = {};
    if (assignment.kind === "writing") {
      if (!sheets.length) throw new Error("Add a CSV of texts.");
      request.texts_media_id = sheets[0].id;
    } else {
      if (zips.length) request.archive_media_id = zips[0].id;
      else request.media_ids = recordings.map((m) => m.id);
      if ($("#pattern").value) request.filename_pattern = $("#pattern").value;
      else if (sheets.length) request.manifest_media_id = sheets[0].id;
    }
    // The draft's key: a submit whose answer was lost (a reload) gives back the same batch.
    const batch = await api("POST", "/assignments/" + id + "/batches", request,
      { "Idempotency-Key": key });
    uploads.forget(id);
    $("#resume-note").hidden = true;
    say("Batch submitted.");
    await follow(id, batch);
  }

  // An upload interrupted by a reload: the same files chosen again go on where it stopped.
  function offerResume(id) {
    const left = uploads.unfinished(id);
    $("#resume-note").hidden = !left;
    if (!left) return;
    $("#resume-text").textContent = "An upload was interrupted: " + left.uploaded + " of " +
      left.files + " files are uploaded. Choose the same files and upload again: only the " +
      "missing ones are sent.";
    if (left.pattern && !$("#pattern").value) $("#pattern").value = left.pattern;
  }

  function showBatch(batch) {
    const c = batch.counts;
    const done = c.total - c.queued - c.running;
    $("#batch-status").textContent = "Batch " + batch.status + ": " + done + " of " + c.total + " done.";
    $("#batch-counts").replaceChildren(...["succeeded", "failed", "error", "running", "queued"]
      .flatMap((k) => [element("dt", { text: k }), element("dd", { text: String(c[k]), id: "count-" + k })]));
  }

  async function follow(id, batch) {
    showBatch(batch);
    while (batch.status === "expanding" || batch.status === "running") {
      batch = await api("GET", "/batches/" + batch.id + "?wait=20&since=" + batch.version);
      showBatch(batch);
      await loadResults(id);
    }
    await loadResults(id);
  }

  const uploads = window.consoleUploads(api);
  const LEVELS = ["A1", "A2", "B1", "B2", "C1", "C2"];

  function reviewForm(id, row) {
    if (row.status !== "succeeded") return element("span", { text: row.error_code || "" });
    const select = element("select", { "aria-label": "Level for " + (row.learner_email || row.item) });
    LEVELS.forEach((l) => select.append(element("option", { value: l, text: l })));
    select.value = row.final_level || "B1";
    const comment = element("input", { "aria-label": "Comment for " + (row.learner_email || row.item),
      placeholder: "Comment", required: "required", maxlength: "2000" });
    if (row.review_comment) comment.value = row.review_comment;
    const save = element("button", { type: "submit", text: "Save" });
    const listen = element("button", { type: "button", text: "Listen" });
    listen.addEventListener("click", guard(() => showDetail(row.job_id)));
    const form = element("form", { class: "review" }, [select, comment, save, listen]);
    form.addEventListener("submit", guard(async () => {
      await api("POST", "/assignments/" + id + "/results/" + row.job_id + "/reviews",
        { level: select.value, comment: comment.value });
      say("Review saved.");
      await loadResults(id);
    }));
    return form;
  }

  // A chunk of results at a time (the table's data-page-size items), the next on request.
  async function loadResults(id, after) {
    const status = $("#status-filter").value;
    const query = new URLSearchParams({ limit: $("#results").dataset.pageSize || "200" });
    if (status) query.set("status", status);
    if (after) query.set("after", after);
    const page = await api("GET", "/assignments/" + id + "/results?" + query);
    const more = $("#more-results");
    more.hidden = page.next === null || page.next === undefined;
    more.dataset.after = more.hidden ? "" : String(page.next);
    $("#results tbody")[after ? "append" : "replaceChildren"](...page.items.map((row) => element("tr", { "data-job": row.job_id || "" }, [
      element("td", { text: row.learner_email || "—" }), element("td", { text: row.item }),
      element("td", { text: row.status }), element("td", { text: row.ai_level || "" }),
      element("td", { text: row.final_level || "", class: "final" }),
      element("td", {}, [reviewForm(id, row)])])));
  }

  async function showDetail(jobId) {
    const job = await api("GET", "/jobs/" + jobId);
    const result = job.result || {};
    const words = result.words || [];
    $("#transcript").replaceChildren(...words.map((w) => {
      const low = typeof w.probability === "number" && w.probability < 0.5;
      return element("span", low ? { class: "flagged", title: "unclear" } : {}, [(w.word || w.text || "") + " "]);
    }));
    const answer = await fetch(API + "/media/" + job.input.media_id + "/content",
      { headers: { Authorization: "Bearer " + token() } });
    if (answer.ok) $("#player").src = URL.createObjectURL(await answer.blob());
    $("#detail").hidden = false;
  }

  async function exportCsv(id) {
    const answer = await fetch(API + "/assignments/" + id + "/results/export",
      { headers: { Authorization: "Bearer " + token() } });
    if (!answer.ok) throw new Error("The export failed (" + answer.status + ").");
    const link = element("a", { href: URL.createObjectURL(await answer.blob()),
      download: id + "-results.csv" });
    document.body.append(link);
    link.click();
    link.remove();
    say("Export downloaded.");
  }

  function assignmentPage() {
    const id = body.dataset.assignmentId;
    let assignment = null;
    const zone = $("#drop-zone");
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      $("#files").files = e.dataTransfer.files;
    });
    $("#upload-button").addEventListener("click", guard(() => uploadAll(id, assignment)));
    $("#status-filter").addEventListener("change", guard(() => loadResults(id)));
    $("#more-results").addEventListener("click", guard(() => loadResults(id, $("#more-results").dataset.after)));
    $("#export-button").addEventListener("click", guard(() => exportCsv(id)));
    $("#resume-discard").addEventListener("click", () => { uploads.forget(id); offerResume(id); });
    offerResume(id);
    guard(async () => {
      assignment = await api("GET", "/assignments/" + id);
      $("#assignment-title").textContent = assignment.title;
      $("#assignment-details").textContent = assignment.kind + " · " + assignment.language +
        (assignment.level ? " · " + assignment.level : "") + (assignment.prompt_text ? " · " + assignment.prompt_text : "");
      const batches = await api("GET", "/assignments/" + id + "/batches?per_page=1");
      if (batches.items.length) await follow(id, batches.items[0]); else await loadResults(id);
    })();
  }

  // Pages reached from a mail: the secret is in the link's fragment, never sent to a server.
  const fragment = () => new URLSearchParams(location.hash.slice(1));

  function resetPage() {
    $("#reset-form").addEventListener("submit", guard(async () => {
      const secret = fragment().get("token");
      if (!secret) throw new Error("This page needs the link from the reset mail.");
      await api("POST", "/auth/password-reset/confirm",
        { token: secret, new_password: $("#new-password").value });
      sessionStorage.removeItem("console.token");
      $("#reset-form").hidden = true;
      $("#reset-done").hidden = false;
      say("Password changed.");
    }));
  }

  function registerPage() {
    const code = fragment().get("invite");
    if (code) $("#invite-code").value = code;
    $("#register-form").addEventListener("submit", guard(async () => {
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
      const made = await api("POST", "/auth/register", {
        invite_code: $("#invite-code").value, name: $("#reg-name").value,
        email: $("#reg-email").value, password: $("#reg-password").value, timezone: zone });
      sessionStorage.setItem("console.token", made.access_token);
      $("#register-form").hidden = true;
      $("#register-done").hidden = false;
      say("Account created.");
    }));
  }

  // Back from an OpenID Connect provider: the server put the account's token on the page.
  function oidcPage() {
    if (body.dataset.token) {
      sessionStorage.setItem("console.token", body.dataset.token);
      location.replace("/console/");
    }
  }

  $("#sign-out").hidden = !token();
  $("#sign-out").addEventListener("click", () => {
    sessionStorage.removeItem("console.token");
    location.href = "/console";
  });
  ({ index: indexPage, class: classPage, assignment: assignmentPage, reset: resetPage,
     register: registerPage, oidc: oidcPage })[body.dataset.page]();
})();
