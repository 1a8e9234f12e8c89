// The console's uploads: straight to object storage (a presigned PUT, or parts for large
// files), resumable across a page reload. What is uploaded for an assignment is remembered in
// localStorage (its media ids, and which are multipart); chosen again after a reload, a file
// already uploaded is not sent again, a multipart upload goes on from the parts the server
// lists, and the batch is then submitted with the same Idempotency-Key, so every item is in it
// once even when the first submit's answer was lost.
"use strict";
window.consoleUploads = function (api) {
  const KINDS = { zip: "archive", csv: "document", txt: "document" };
  function kindOf(file) {
    const ext = file.name.split(".").pop().toLowerCase();
    return KINDS[ext] || (file.type.startsWith("video/") ? "video" : "audio");
  }

  // Files above this size go in parts, each retried on its own: a connection lost halfway
  // costs one part, not the file. (S3 wants parts of at least 5 MiB.)
  const PART_BYTES = Number(sessionStorage.getItem("console.partBytes")) || 8 * 1024 * 1024;
  const PART_ATTEMPTS = 4;

  // The unfinished upload of an assignment: {key, pattern, files: {fileKey: entry}}, an entry
  // being {name, kind, media_id, part_bytes (multipart only), done}.
  const draftName = (assignmentId) => "console.upload." + assignmentId;
  const fileKey = (file) => [file.name, file.size, file.lastModified].join("|");

  function loadDraft(assignmentId) {
    try { return JSON.parse(localStorage.getItem(draftName(assignmentId))); } catch { return null; }
  }

  function newKey() {
    const random = new Uint8Array(16);
    crypto.getRandomValues(random);
    return "console-batch-" + Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function put(url, headers, blob, onProgress) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open("PUT", url);
      Object.entries(headers || {}).forEach(([k, v]) => request.setRequestHeader(k, v));
      request.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
      request.onload = () => (request.status < 300 ? resolve(request.getResponseHeader("ETag"))
        : reject(new Error("upload failed (" + request.status + ")")));
      request.onerror = () => reject(new Error("the connection was lost"));
      request.send(blob);
    });
  }

  async function putWithRetries(sign, blob, onProgress) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const target = await sign();
        return await put(target.url, target.headers, blob, onProgress);
      } catch (error) {
        if (attempt >= PART_ATTEMPTS) throw error;
        await new Promise((resume) => setTimeout(resume, 500 * 2 ** attempt));
      }
    }
  }

  // The parts a multipart upload already holds (none when it is gone: start again).
  async function partsSoFar(entry) {
    if (!entry || !entry.part_bytes) return null;
    try { return await api("GET", "/media/" + entry.media_id + "/multipart"); } catch { return null; }
  }

  async function uploadInParts(file, entry, remember, progress) {
    let held = await partsSoFar(entry);
    let id = held ? entry.media_id : null;
    const partBytes = held ? entry.part_bytes : PART_BYTES;
    if (!held) {
      const started = await api("POST", "/media/multipart", {
        filename: file.name, kind: entry.kind, size: file.size, content_type: file.type || undefined });
      id = started.media.id;
      remember({ media_id: id, part_bytes: partBytes });
      held = [];
    }
    const etags = new Map(held.map((p) => [p.PartNumber, p.ETag]));
    const count = Math.ceil(file.size / partBytes);
    const sent = Array.from({ length: count }, (_, i) =>
      (etags.has(i + 1) ? Math.min(partBytes, file.size - i * partBytes) : 0));
    progress(sent.reduce((a, b) => a + b, 0) / file.size);
    for (let number = 1; number <= count; number += 1) {
      if (etags.has(number)) continue;
      const blob = file.slice((number - 1) * partBytes, number * partBytes);
      etags.set(number, await putWithRetries(() => api("GET", "/media/" + id + "/multipart/" + number),
        blob, (share) => {
          sent[number - 1] = share * blob.size;
          progress(sent.reduce((a, b) => a + b, 0) / file.size);
        }));
    }
    const parts = [...etags].sort((a, b) => a[0] - b[0]).map(([PartNumber, ETag]) => ({ PartNumber, ETag }));
    return (await api("POST", "/media/" + id + "/multipart/complete", { parts })).media;
  }

  async function uploadWhole(file, entry, remember, progress) {
    const started = await api("POST", "/media/uploads", {
      filename: file.name, kind: entry.kind, size: file.size, content_type: file.type || undefined });
    remember({ media_id: started.media.id });
    await putWithRetries(async () => started.upload, file, progress);
    return api("POST", "/media/" + started.media.id + "/complete");
  }

  // A file remembered as uploaded is checked with the server, not sent again.
  async function alreadyUploaded(entry) {
    if (!entry || !entry.done) return false;
    try { return (await api("GET", "/media/" + entry.media_id)).status === "ready"; } catch { return false; }
  }

  async function uploadOne(file, row, overall, draft, save) {
    const bar = row.querySelector("progress");
    const note = row.querySelector("span");
    const progress = (share) => { bar.value = Math.round(share * 100); overall(); };
    const key = fileKey(file);
    const entry = draft.files[key] || { name: file.name, kind: kindOf(file) };
    draft.files[key] = entry;
    const remember = (fields) => { Object.assign(entry, fields, { done: false }); save(); };
    if (await alreadyUploaded(entry)) {
      progress(1);
      note.textContent = "already uploaded";
      return;
    }
    note.textContent = "uploading";
    const upload = file.size > (entry.part_bytes || PART_BYTES) ? uploadInParts : uploadWhole;
    await upload(file, entry, remember, progress);
    entry.done = true;
    save();
    progress(1);
    note.textContent = "uploaded";
  }

  // Uploads the chosen files (only what is missing of an unfinished upload) and answers the
  // uploaded items of the whole draft, with the key its batch is submitted under.
  async function uploadFiles(assignmentId, files, rows, overall, pattern) {
    const draft = loadDraft(assignmentId) || { key: newKey(), files: {} };
    draft.pattern = pattern;
    const save = () => localStorage.setItem(draftName(assignmentId), JSON.stringify(draft));
    save();
    // Each file on its own: one that fails is reported, the others go on.
    await Promise.all(files.map((file, index) =>
      uploadOne(file, rows[index], overall, draft, save).catch((error) => {
        const note = rows[index].querySelector("span");
        note.textContent = "not uploaded: " + error.message;
        note.className = "upload-error";
      })));
    const media = Object.values(draft.files).filter((e) => e.done)
      .map((e) => ({ id: e.media_id, kind: e.kind }));
    return { key: draft.key, media };
  }

  return {
    uploadFiles,
    unfinished: (assignmentId) => {
      const draft = loadDraft(assignmentId);
      if (!draft || !draft.files) return null;
      const entries = Object.values(draft.files);
      return { files: entries.length, uploaded: entries.filter((e) => e.done).length,
               pattern: draft.pattern || "" };
    },
    forget: (assignmentId) => localStorage.removeItem(draftName(assignmentId)),
  };
};
