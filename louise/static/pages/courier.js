// The courier's phone screen: a cellar or a dead spot loses nothing.
// Every action (arrived, completed, failed) gets its own idempotency key when it is taken, is
// kept in localStorage (photos downscaled to at most 1280 px as JPEG data URLs) and sent in
// order: now, on "online", on page load and every 15 s. An action leaves the queue only when
// the server has answered it (2xx, or a 4xx refusal, which is shown); the server records a
// repeated key once and answers its first result. Without this script the forms post as usual.
(function () {
  "use strict";
  var STORE = "louise.courier.queue";
  var MAX_SIDE = 1280;
  var root = document.querySelector("[data-courier]");
  if (!root) return;
  var sending = false;

  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  function save(queue) {
    try {
      window.localStorage.setItem(STORE, JSON.stringify(queue));
      return true;
    } catch (e) {
      return false; // full: the action is still sent now, but not kept
    }
  }
  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function say(text, isError) {
    var box = document.getElementById("courier-outcome");
    if (!box) return;
    box.textContent = "";
    var p = document.createElement("p");
    p.className = isError ? "error-box" : "flash flash-info";
    p.textContent = text;
    box.appendChild(p);
  }

  function showQueue() {
    var queue = load();
    var status = document.getElementById("courier-queue");
    var list = document.getElementById("courier-queue-list");
    if (!status || !list) return;
    status.hidden = queue.length === 0;
    status.textContent = queue.length ? root.dataset.waiting.replace("{n}", String(queue.length)) : "";
    list.textContent = "";
    list.hidden = queue.length === 0;
    queue.forEach(function (entry) {
      var li = document.createElement("li");
      li.textContent = entry.label;
      list.appendChild(li);
    });
    document.querySelectorAll(".stop-queued").forEach(function (el) { el.classList.remove("stop-queued"); });
    queue.forEach(function (entry) {
      var stop = document.getElementById("stop-" + entry.stop);
      if (stop) stop.classList.add("stop-queued");
    });
  }

  function dataUrlToBlob(url) {
    var parts = url.split(",");
    var type = parts[0].replace(/^data:/, "").replace(/;base64$/, "");
    var bin = window.atob(parts[1]);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Blob([bytes], { type: type });
  }

  function downscale(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onerror = function () { reject(reader.error); };
      reader.onload = function () {
        var img = new Image();
        img.onerror = function () { reject(new Error("not an image")); };
        img.onload = function () {
          var scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
          var canvas = document.createElement("canvas");
          canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
          canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
          var ctx = canvas.getContext("2d");
          ctx.fillStyle = "#fff";
          ctx.fillRect(0, 0, canvas.width, canvas.height);
          ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
          resolve(canvas.toDataURL("image/jpeg", 0.8));
        };
        img.src = reader.result;
      };
      reader.readAsDataURL(file);
    });
  }

  // --- the signature pad -----------------------------------------------------------------
  function initSignatures() {
    document.querySelectorAll("[data-signature]").forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      box.hidden = false;
      var canvas = box.querySelector("canvas");
      var ctx = canvas.getContext("2d");
      var drawing = false;
      ctx.lineWidth = 2.5;
      ctx.lineCap = "round";
      ctx.strokeStyle = "#111";
      function at(event) {
        var r = canvas.getBoundingClientRect();
        return [(event.clientX - r.left) * canvas.width / r.width, (event.clientY - r.top) * canvas.height / r.height];
      }
      canvas.addEventListener("pointerdown", function (event) {
        drawing = true;
        canvas.setPointerCapture(event.pointerId);
        var p = at(event);
        ctx.beginPath();
        ctx.moveTo(p[0], p[1]);
        event.preventDefault();
      });
      canvas.addEventListener("pointermove", function (event) {
        if (!drawing) return;
        var p = at(event);
        ctx.lineTo(p[0], p[1]);
        ctx.stroke();
        canvas.dataset.signed = "1";
      });
      function stop() { drawing = false; }
      canvas.addEventListener("pointerup", stop);
      canvas.addEventListener("pointercancel", stop);
      box.querySelector("[data-signature-clear]").addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        delete canvas.dataset.signed;
      });
    });
  }

  // --- taking an action ------------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.courierAction) return;
    event.preventDefault();
    var action = form.dataset.courierAction;
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrf_token" && name !== "idempotency_key") {
        fields.push([name, value]);
      }
    });
    var entry = {
      key: newKey(),
      url: form.action,
      action: action,
      stop: (form.closest(".stop") || { id: "" }).id.replace("stop-", ""),
      label: form.dataset.stopLabel + " · " + form.querySelector("button[type=submit]").textContent.trim(),
      fields: fields,
      files: {}
    };
    var photo = form.querySelector("input[type=file][name=photo]");
    var canvas = form.querySelector("[data-signature] canvas");
    var work = Promise.resolve();
    if (photo && photo.files && photo.files[0]) {
      work = downscale(photo.files[0]).then(function (url) { entry.files.photo = url; });
    } else if (canvas && canvas.dataset.signed) {
      entry.files.signature = canvas.toDataURL("image/png");
    }
    work.then(function () {
      if (form.hasAttribute("data-needs-proof")) {
        var code = fields.some(function (f) { return f[0] === "code" && f[1].trim(); });
        if (!code && !entry.files.photo && !entry.files.signature) {
          say(root.dataset.noProof, true);
          return;
        }
      }
      var queue = load();
      // a second tap on the same button while the first still waits: nothing new to send
      if (queue.some(function (e) { return e.stop === entry.stop && e.action === entry.action; })) {
        showQueue();
        return;
      }
      queue.push(entry);
      if (!save(queue)) {
        queue.pop();
        send(entry).then(function () {});
        return;
      }
      form.querySelectorAll("input[type=file], input[name=code], input[name=note]").forEach(function (input) { input.value = ""; });
      showQueue();
      flush();
    }, function () { say(root.dataset.noProof, true); });
  });

  // --- sending ---------------------------------------------------------------------------
  function body(entry) {
    var data = new FormData();
    var meta = document.querySelector('meta[name="csrf-token"]');
    data.append("csrf_token", meta ? meta.getAttribute("content") : "");
    data.append("idempotency_key", entry.key);
    entry.fields.forEach(function (f) { data.append(f[0], f[1]); });
    Object.keys(entry.files).forEach(function (name) {
      var blob = dataUrlToBlob(entry.files[name]);
      data.append(name, blob, name + (blob.type === "image/png" ? ".png" : ".jpg"));
    });
    return data;
  }

  // "done": answered (2xx or a refusal shown); "retry": keep it and stop for now
  function send(entry) {
    return window.fetch(entry.url, {
      method: "POST",
      body: body(entry),
      credentials: "same-origin",
      redirect: "manual"
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401) {
        say(root.dataset.login, true);
        return "retry";
      }
      if (response.ok || (response.status >= 400 && response.status < 500 && response.status !== 400 && response.status !== 408 && response.status !== 429)) {
        return response.text().then(function (html) {
          apply(html, !response.ok);
          return "done";
        });
      }
      return "retry"; // 400 (an expired form token), 408, 429, 5xx: later
    }, function () { return "retry"; });
  }

  function apply(html, refused) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("courier-day");
    var here = document.getElementById("courier-day");
    if (fresh && here) {
      here.replaceWith(document.adoptNode(fresh));
      initSignatures();
    } else if (refused) {
      var main = doc.querySelector("main");
      say(root.dataset.refused + " " + (main ? main.textContent.trim().slice(0, 200) : ""), true);
    }
  }

  function flush() {
    if (sending) return;
    var queue = load();
    if (!queue.length) { showQueue(); return; }
    if (!navigator.onLine) {
      showQueue();
      say(root.dataset.offline, false);
      return;
    }
    sending = true;
    var entry = queue[0];
    send(entry).then(function (result) {
      sending = false;
      if (result === "done") {
        save(load().filter(function (e) { return e.key !== entry.key; }));
        showQueue();
        flush();
      } else {
        showQueue();
      }
    });
  }

  window.addEventListener("online", flush);
  window.addEventListener("offline", showQueue);
  window.setInterval(flush, 15000);
  initSignatures();
  showQueue();
  flush();
})();
