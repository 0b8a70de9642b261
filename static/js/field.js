// Field work that is never lost: drafts, an outbox with exactly-once sending, and the
// offline app's housekeeping. Every form still works without this script; with it:
//   - the visit form is saved on the phone (IndexedDB, photos as blobs) as it is typed, and
//     offered again when the case is opened, after a reload, a crash or an expired session;
//   - a visit sent goes to the outbox first and is sent from there, with the client_id the
//     form got when it opened: its photos one by one (each with its SHA-256, checked by the
//     server as it arrives), then the visit naming them; a re-send (lost answer, retry) finds
//     the photo or the visit already stored;
//   - sending retries with backoff when the network is back (no Background Sync API, which
//     several browsers lack); an expired session keeps the item until the user logs in again;
//   - the service worker (/sw.js) keeps the inspector's pages for offline use; caches and
//     IndexedDB are wiped at logout and when another user logs in on the phone.
/* global idb */
"use strict";
(function () {
  var DB_NAME = "patuh-field";
  var texts = {};
  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = idb.openDB(DB_NAME, 1, {
        upgrade: function (d) {
          d.createObjectStore("drafts", { keyPath: "key" });
          d.createObjectStore("outbox", { keyPath: "client_id" });
        },
      });
    }
    return dbPromise;
  }

  function currentUser() {
    var m = document.querySelector('meta[name="patuh-user"]');
    return m ? m.content : "";
  }

  // wipe removes everything this app keeps on the phone.
  function wipe() {
    var jobs = [];
    if (window.caches) {
      jobs.push(caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("patuh-") === 0; }).map(function (k) { return caches.delete(k); }));
      }));
    }
    jobs.push(db().then(function (d) {
      return Promise.all([d.clear("drafts"), d.clear("outbox")]);
    }));
    return Promise.all(jobs);
  }

  // ---- the outbox -------------------------------------------------------------------------

  function outboxItems() {
    return db().then(function (d) { return d.getAll("outbox"); });
  }

  function putItem(item) {
    return db().then(function (d) { return d.put("outbox", item); });
  }

  function pending(items) {
    return items.filter(function (i) { return i.state === "waiting" || i.state === "sending" || i.state === "login"; });
  }

  function renderOutbox() {
    var box = document.getElementById("outbox");
    if (!box) return Promise.resolve();
    return outboxItems().then(function (items) {
      var shown = items.filter(function (i) { return i.state !== "sent" || Date.now() - i.sent_at < 10 * 60 * 1000; });
      box.hidden = shown.length === 0;
      box.textContent = "";
      if (!shown.length) return;
      var h = document.createElement("h2");
      h.textContent = texts.title;
      box.appendChild(h);
      var ul = document.createElement("ul");
      ul.className = "plain";
      shown.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "outbox-item state-" + item.state;
        li.dataset.clientId = item.client_id;
        li.dataset.state = item.state;
        var a = document.createElement("a");
        a.href = "/cases/" + item.case_id;
        a.textContent = texts.visit + " #" + item.case_id;
        li.appendChild(a);
        var state = document.createElement("span");
        state.className = "badge";
        state.textContent = texts[item.state] || item.state;
        li.appendChild(document.createTextNode(" "));
        li.appendChild(state);
        if (item.photos && item.photos.length) {
          var arrived = item.photos.filter(function (p) { return p.sent; }).length;
          li.appendChild(document.createTextNode(" · " + (arrived ? arrived + "/" : "") + item.photos.length + " " + texts.photos));
        }
        if (item.state === "refused" && item.reason) {
          var why = document.createElement("p");
          why.className = "error small";
          why.textContent = item.reason;
          li.appendChild(why);
        }
        if (item.state === "login") {
          var login = document.createElement("a");
          login.href = "/login?next=" + encodeURIComponent("/cases/" + item.case_id);
          login.className = "button";
          login.id = "outbox-login";
          login.textContent = texts.loginLink;
          li.appendChild(document.createTextNode(" "));
          li.appendChild(login);
        }
        ul.appendChild(li);
      });
      box.appendChild(ul);
    });
  }

  // formData is the visit as the form posts it: the photos sent ahead are named by their
  // SHA-256 ("staged"); without them (inline) they go in the same request.
  function formData(item, inline) {
    var fd = new FormData();
    item.fields.forEach(function (pair) { fd.append(pair[0], pair[1]); });
    fd.set("client_id", item.client_id); // the id the photos were sent under, whatever the form had
    (item.photos || []).forEach(function (p) {
      if (inline) fd.append("photo", p.blob, p.name);
      else fd.append("staged", p.sha256);
    });
    return fd;
  }

  function sha256Hex(blob) {
    return blob.arrayBuffer().then(function (buf) { return crypto.subtle.digest("SHA-256", buf); }).then(function (h) {
      return Array.prototype.map.call(new Uint8Array(h), function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    });
  }

  function landedOnLogin(res) { return new URL(res.url, location.href).pathname === "/login"; }

  // sendPhotos sends an item's photos one by one ahead of its visit, each with its SHA-256;
  // each one that arrived is marked in the outbox, so a connection lost half-way costs only
  // the photo in flight. The server checks each as it arrives: a refused photo is named
  // before any visit exists. Answers "ok", "login", "refused", "retry", or "inline" where the
  // page is no secure origin (no crypto.subtle): the photos then go with the visit.
  function sendPhotos(item) {
    if (!window.crypto || !crypto.subtle) return Promise.resolve("inline");
    var chain = Promise.resolve("ok");
    (item.photos || []).forEach(function (p) {
      chain = chain.then(function (prev) {
        if (prev !== "ok" || p.sent) return prev;
        return (p.sha256 ? Promise.resolve(p.sha256) : sha256Hex(p.blob)).then(function (sum) {
          p.sha256 = sum;
          var fd = new FormData();
          fd.append("client_id", item.client_id);
          fd.append("sha256", sum);
          fd.append("file", p.blob, p.name);
          return fetch("/cases/" + item.case_id + "/uploads", { method: "POST", body: fd, credentials: "same-origin",
            headers: { Accept: "application/json" } });
        }).then(function (res) {
          if (landedOnLogin(res)) return "login";
          if (res.ok) {
            p.sent = true;
            return putItem(item).then(renderOutbox).then(function () { return "ok"; });
          }
          if (res.status === 409 || res.status === 413 || res.status === 415 || res.status === 422) {
            return res.json().then(function (body) {
              item.reason = p.name + ": " + (body.error && body.error.message || res.status);
              return "refused";
            }, function () { item.reason = p.name + ": " + res.status; return "refused"; });
          }
          return "retry";
        }, function () { return "retry"; });
      });
    });
    return chain;
  }

  // reasonOf reads the message of a refused form from the page the server answered.
  function reasonOf(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var p = doc.getElementById("problem");
    return p ? p.textContent.trim() : "";
  }

  var syncing = false;
  var retryTimer = null;
  var tries = 0;

  function scheduleRetry() {
    if (retryTimer) return;
    var delay = Math.min(2000 * Math.pow(2, tries), 5 * 60 * 1000);
    tries++;
    retryTimer = setTimeout(function () { retryTimer = null; sync(); }, delay);
  }

  // send posts one item; it answers what became of it.
  function send(item) {
    item.state = "sending";
    return putItem(item).then(renderOutbox).then(function () {
      return sendPhotos(item);
    }).then(function (photos) {
      if (photos === "login" || photos === "retry") return photos;
      if (photos === "refused") {
        item.state = "refused";
        return putItem(item).then(function () { return restoreAsDraft(item); }).then(function () { return "refused"; });
      }
      return fetch(item.url, { method: "POST", body: formData(item, photos === "inline"), credentials: "same-origin", redirect: "follow" })
        .then(visitAnswered, function () { return "retry"; });
    }).then(function (outcome) {
      if (outcome === "login") {
        item.state = "login"; // the session ended: kept until the user logs in again
        return putItem(item).then(function () { return "login"; });
      }
      if (outcome === "retry") {
        item.state = "waiting"; // no network, or 5xx/503 during an outage: try again later
        return putItem(item).then(function () { return "retry"; });
      }
      return outcome;
    });

    function visitAnswered(res) {
      if (landedOnLogin(res)) {
        return "login";
      }
      if (res.ok) {
        item.state = "sent";
        item.sent_at = Date.now();
        delete item.photos; // the visit and its photos are on the server now
        return putItem(item).then(function () { return "sent"; });
      }
      if (res.status === 409 || res.status === 422 || res.status === 413 || res.status === 415) {
        return res.text().then(function (html) {
          item.state = "refused";
          item.reason = reasonOf(html) || String(res.status);
          return putItem(item).then(function () { return restoreAsDraft(item); }).then(function () { return "refused"; });
        });
      }
      return "retry";
    }
  }

  function sync() {
    if (syncing || !currentUser()) return Promise.resolve();
    syncing = true;
    var sentHere = false;
    return outboxItems().then(function (items) {
      var queue = pending(items);
      var chain = Promise.resolve("ok");
      queue.forEach(function (item) {
        chain = chain.then(function (prev) {
          if (prev === "retry" || prev === "login") return prev; // stop at the first that cannot go
          return send(item).then(function (outcome) {
            // Sent or refused while its case is open: show the case anew (the visit, or the
            // form restored from the draft with the reason).
            if ((outcome === "sent" || outcome === "refused") && location.pathname === "/cases/" + item.case_id) sentHere = true;
            return outcome;
          });
        });
      });
      return chain;
    }).then(function (last) {
      syncing = false;
      if (last === "retry") scheduleRetry(); else tries = 0;
      return renderOutbox().then(function () {
        if (sentHere) location.replace(location.pathname + "?synced=1");
      });
    }, function () { syncing = false; scheduleRetry(); });
  }

  // ---- drafts of the visit form -------------------------------------------------------------

  var form = null;
  var photos = []; // {name, type, blob}

  function draftKey() { return "visit:" + form.dataset.case; }

  function fieldsOf(f) {
    var out = [];
    Array.prototype.forEach.call(f.elements, function (el) {
      if (!el.name || el.type === "file" || el.type === "submit" || el.type === "button") return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      out.push([el.name, el.value]);
    });
    return out;
  }

  function saveDraft() {
    var draft = { key: draftKey(), case_id: form.dataset.case, client_id: form.elements.client_id.value,
      fields: fieldsOf(form), photos: photos, saved_at: Date.now() };
    return db().then(function (d) { return d.put("drafts", draft); }).then(function () {
      var s = document.getElementById("draft-status");
      if (s) s.dataset.saved = String(draft.saved_at);
    });
  }

  function fill(target, fields) {
    var values = {};
    fields.forEach(function (p) { (values[p[0]] = values[p[0]] || []).push(p[1]); });
    Array.prototype.forEach.call(target.elements, function (el) {
      if (!el.name || el.type === "file" || el.type === "submit" || el.type === "button") return;
      var v = values[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = !!v && v.indexOf(el.value) >= 0;
      } else if (v) {
        el.value = v[0];
      }
    });
  }

  function renderPhotos() {
    var box = document.getElementById("photo-previews");
    if (!box) return;
    box.textContent = "";
    photos.forEach(function (p, i) {
      var fig = document.createElement("figure");
      fig.className = "preview";
      if (p.type.indexOf("image/") === 0) {
        var img = document.createElement("img");
        img.src = URL.createObjectURL(p.blob);
        img.alt = p.name;
        img.width = 96;
        img.height = 96;
        fig.appendChild(img);
      } else {
        fig.appendChild(document.createTextNode("PDF"));
      }
      var cap = document.createElement("figcaption");
      cap.textContent = p.name;
      fig.appendChild(cap);
      var rm = document.createElement("button");
      rm.type = "button";
      rm.className = "link";
      rm.textContent = texts.remove;
      rm.addEventListener("click", function () { photos.splice(i, 1); renderPhotos(); saveDraft(); });
      fig.appendChild(rm);
      box.appendChild(fig);
    });
  }

  function restoreAsDraft(item) {
    var draft = { key: "visit:" + item.case_id, case_id: item.case_id, client_id: item.client_id, fields: item.fields,
      photos: item.photos || [], saved_at: Date.now(), refused: item.reason || "" };
    return db().then(function (d) { return d.put("drafts", draft); });
  }

  // newClientID makes a version 4 UUID, as the server's forms do (crypto.randomUUID exists
  // only on secure origins; getRandomValues everywhere).
  function newClientID() {
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // The Berita Acara's signatures, drawn with signature_pad; each pad writes its PNG (a data
  // URL) into its hidden field, which the draft keeps like any other.
  var pads = [];
  function setupSignatures() {
    if (!window.SignaturePad) return;
    Array.prototype.forEach.call(form.querySelectorAll("canvas[data-signature-for]"), function (canvas) {
      var field = document.getElementById(canvas.dataset.signatureFor);
      var pad = new window.SignaturePad(canvas, { penColor: "#102a43" });
      pad.addEventListener("endStroke", function () {
        field.value = pad.toDataURL("image/png");
        saveDraft();
      });
      pads.push({ pad: pad, field: field });
    });
    form.addEventListener("click", function (e) {
      var name = e.target.dataset && e.target.dataset.clearSignature;
      if (!name) return;
      pads.forEach(function (p) {
        if (p.field.id === name) { p.pad.clear(); p.field.value = ""; }
      });
      saveDraft();
    });
  }
  function showSignatures() {
    pads.forEach(function (p) { if (p.field.value) p.pad.fromDataURL(p.field.value, { ratio: 1 }); });
  }

  function setupVisitForm() {
    form = document.getElementById("visit-form");
    if (!form) return;
    setupSignatures();
    var status = document.createElement("p");
    status.id = "draft-status";
    status.className = "muted small";
    form.insertBefore(status, form.firstChild);
    db().then(function (d) { return d.get("drafts", draftKey()); }).then(function (draft) {
      if (!draft) return;
      fill(form, draft.fields);
      form.elements.client_id.value = draft.client_id;
      showSignatures();
      photos = draft.photos || [];
      renderPhotos();
      status.textContent = texts.draftRestored + (draft.refused ? " " + draft.refused : "");
      status.dataset.restored = "1";
      var details = form.closest("details");
      if (details) details.open = true;
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "link";
      discard.id = "draft-discard";
      discard.textContent = texts.draftDiscard;
      discard.addEventListener("click", function () {
        db().then(function (d) { return d.delete("drafts", draftKey()); }).then(function () { location.reload(); });
      });
      status.appendChild(document.createTextNode(" "));
      status.appendChild(discard);
    });
    form.addEventListener("input", saveDraft);
    form.addEventListener("change", function (e) {
      if (e.target.type === "file") {
        Array.prototype.forEach.call(e.target.files, function (f) { photos.push({ name: f.name, type: f.type, blob: f }); });
        e.target.value = ""; // the draft holds them now; the input would send them twice
        renderPhotos();
      }
      saveDraft();
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var item = { client_id: form.elements.client_id.value, case_id: form.dataset.case, url: form.action,
        fields: fieldsOf(form), photos: photos, state: "waiting", created_at: Date.now() };
      putItem(item).then(function () {
        return db().then(function (d) { return d.delete("drafts", draftKey()); });
      }).then(function () {
        // The form is empty for the next visit, under a new client_id: the one sent belongs
        // to the item in the outbox, and reusing it would make the next visit a re-send.
        form.reset();
        form.elements.client_id.value = newClientID();
        pads.forEach(function (p) { p.pad.clear(); p.field.value = ""; });
        photos = [];
        renderPhotos();
        status.textContent = navigator.onLine ? "" : texts.offline;
        return sync();
      });
    });
  }

  // ---- drafts of the follow-up form -------------------------------------------------------
  // The follow-up form is sent online as usual; its draft is kept as it is typed and offered
  // again until the page says the follow-up was saved (an expired session, a lost network or
  // a refused date never loses the note).

  function setupFollowUpDraft() {
    var f = document.getElementById("follow-up-form");
    if (!f) return;
    var key = "follow-up:" + f.getAttribute("action");
    var flash = document.querySelector(".flash[data-flash]");
    db().then(function (d) {
      return d.get("drafts", key).then(function (draft) {
        if (!draft) return;
        if (draft.submitted && flash && flash.dataset.flash === "case.follow_up_saved") return d.delete("drafts", key);
        fill(f, draft.fields);
        var details = f.closest("details");
        if (details) details.open = true;
        var note = document.createElement("p");
        note.id = "follow-up-draft-status";
        note.className = "muted small";
        note.dataset.restored = "1";
        note.textContent = texts.draftRestored;
        f.insertBefore(note, f.firstChild);
      });
    });
    var save = function (submitted) {
      var fields = fieldsOf(f).filter(function (p) { return p[0] !== "version"; });
      return db().then(function (d) { return d.put("drafts", { key: key, fields: fields, submitted: submitted, saved_at: Date.now() }); });
    };
    f.addEventListener("input", function () { save(false); });
    f.addEventListener("change", function () { save(false); });
    f.addEventListener("submit", function (e) {
      // Saved before the page leaves; the browser then posts the form as usual.
      e.preventDefault();
      save(true).then(function () { f.submit(); }, function () { f.submit(); });
    });
  }

  // ---- start ------------------------------------------------------------------------------

  function start() {
    var t = document.getElementById("field-texts");
    if (t) {
      texts = { title: t.dataset.title, draft: t.dataset.draft, waiting: t.dataset.waiting, sending: t.dataset.sending,
        sent: t.dataset.sent, refused: t.dataset.refused, login: t.dataset.login, loginLink: t.dataset.loginLink,
        visit: t.dataset.visit, draftRestored: t.dataset.draftRestored, draftDiscard: t.dataset.draftDiscard,
        logoutWarn: t.dataset.logoutWarn, remove: t.dataset.remove, offline: t.dataset.offline, photos: t.dataset.photos };
    }
    var user = currentUser();
    var ready = Promise.resolve();
    // Another user on this phone: nothing of the previous one stays. The login page has no
    // user: an expired session keeps the outbox for its owner.
    if (user && localStorage.getItem("patuh.user") && localStorage.getItem("patuh.user") !== user) ready = wipe();
    if (user) localStorage.setItem("patuh.user", user);
    if (user && "serviceWorker" in navigator) {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* pages still work online */ });
    }
    document.addEventListener("submit", function (e) {
      if (e.target.getAttribute("action") !== "/logout") return;
      e.preventDefault();
      outboxItems().then(function (items) {
        if (pending(items).length && !window.confirm(texts.logoutWarn)) return;
        localStorage.removeItem("patuh.user");
        return wipe().then(function () { e.target.submit(); });
      });
    }, true);
    window.addEventListener("online", function () { tries = 0; sync(); });
    ready.then(function () {
      setupVisitForm();
      setupFollowUpDraft();
      return renderOutbox();
    }).then(sync);
  }

  if (window.idb) start();
  else window.addEventListener("load", start);
})();
