// The subject screen: draws the session's state as the server pushes it (server-sent events).
"use strict";
(function () {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const ORDER = ["scanning", "confirming", "guiding", "capturing", "reviewing", "done"];
  const STEP_OF = { countdown: "capturing", choosing: "capturing", producing: "capturing", committing: "reviewing" };
  const STATE_TEXT = {
    idle: ["请按按钮开始", "Press the button to start"],
    scanning: ["请将图像采集码对准镜头", "Hold your capture code up to the camera"],
    confirming: ["请确认以下信息是否是您本人", "Please confirm these details are yours"],
    guiding: ["请看镜头", "Look at the camera"],
    countdown: ["请保持不动", "Hold still"],
    capturing: ["正在拍摄…", "Taking the photo…"],
    choosing: ["正在挑选最好的一张（清晰、睁眼、正对镜头）…", "Choosing the best frame (sharp, eyes open, facing the camera)…"],
    producing: ["正在生成标准照片…", "Making your standard photo…"],
    reviewing: ["请确认照片", "Please review your photo"],
    committing: ["正在保存…", "Saving…"],
    done: ["完成！谢谢", "Done, thank you!"],
    failsafe: ["出现问题，正在恢复…", "Something went wrong; recovering…"],
  };
  let state = "idle";
  let countdownTimer = null;
  let lensShown = false;  // the countdown's last second shows where the lens is, over guidance

  function setMessage(zh, en, tone) {
    $("msg-zh").textContent = zh;
    $("msg-en").textContent = en;
    $("message").className = "message" + (tone ? " " + tone : "");
  }

  function post(action) {
    return fetch("/action/" + action, { method: "POST", headers: { "X-CSRF-Token": token }, credentials: "same-origin" });
  }

  function showSteps() {
    const step = STEP_OF[state] || state;
    const index = ORDER.indexOf(step);
    document.querySelectorAll("#steps li").forEach((li, i) => {
      li.classList.toggle("current", i === index);
      li.classList.toggle("done", index >= 0 && i < index);
    });
  }

  function showButtons() {
    document.querySelectorAll("[data-action]").forEach((b) => {
      b.classList.toggle("hidden", !b.dataset.when.split(" ").includes(state));
    });
  }

  function showIdentity(identity) {
    const box = $("identity");
    if (!identity || !["confirming", "guiding", "reviewing"].includes(state)) { box.classList.add("hidden"); return; }
    box.textContent = "";
    [["姓名 name", identity.name], ["证件号 ID", identity.id_number], ["采集码 code", identity.capture_code]].forEach(([k, v]) => {
      if (!v) return;
      const line = document.createElement("div");
      line.textContent = k + ": " + v;
      box.appendChild(line);
    });
    if (identity.already_captured_at) {
      const prior = document.createElement("div");
      prior.className = "prior";
      prior.textContent = "已于 " + identity.already_captured_at + " 采集过" +
        (identity.prior_confirmed === "yes" ? "（已通过审核）" : "（尚未确认）") +
        "，新照片将替代原照片，原照片保留至服务器确认 / Already captured at " + identity.already_captured_at +
        (identity.prior_confirmed === "yes" ? " (confirmed)" : " (not yet confirmed)") +
        ": the new photo supersedes it; the old one is kept until the server confirms";
      box.appendChild(prior);
    }
    box.classList.remove("hidden");
  }

  function retakeQuestion(identity) {
    if (state === "confirming" && identity && identity.already_captured_at) {
      setMessage("此采集码已拍过照片，要重拍吗？", "Already captured - retake?", "warn");
    }
  }

  function startCountdown(seconds, lensZh, lensEn) {
    clearInterval(countdownTimer);
    lensShown = false;
    const end = Date.now() + seconds * 1000;
    const box = $("countdown");
    box.classList.remove("hidden");
    const tick = () => {
      const left = Math.ceil((end - Date.now()) / 1000);
      box.textContent = left > 0 ? String(left) : "";
      // the last second: eyes off the screen and into the lens
      if (left <= 1 && lensZh) { lensShown = true; setMessage(lensZh, lensEn || "", ""); }
      if (left <= 0) clearInterval(countdownTimer);
    };
    tick();
    countdownTimer = setInterval(tick, 100);
  }

  function showReceipt(receipt) {
    const facts = $("receipt-facts");
    facts.textContent = "";
    [["场次 session", receipt.session], ["采集码 code", receipt.capture_code],
     ["结果 verdict", receipt.verdict === "pass" ? "通过 pass" : receipt.verdict],
     ["编号 photo", receipt.photo_id || (receipt.sha256 || "").slice(0, 12)]].forEach(([k, v]) => {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v || "";
      facts.append(dt, dd);
    });
    const qr = $("receipt-qr");
    qr.classList.remove("hidden");
    $("receipt-qr-hint").classList.remove("hidden");
    $("receipt-no-qr").classList.add("hidden");
    qr.onerror = () => {  // no address a phone could open (web.public_url unset, loopback only)
      qr.classList.add("hidden");
      $("receipt-qr-hint").classList.add("hidden");
      $("receipt-no-qr").classList.remove("hidden");
    };
    // the booth serves the QR of the receipt on screen: events never carry the photo's sha256
    if (receipt.qr === "/receipt.svg") qr.src = receipt.qr + "?t=" + Date.now();
    $("receipt").classList.remove("hidden");
  }

  function enter(target, payload) {
    state = target;
    const text = STATE_TEXT[state] || [state, state];
    setMessage(text[0], text[1], state === "done" ? "pass" : "");
    if (state === "failsafe" && payload && payload.message_zh) setMessage(payload.message_zh, payload.message_en, "warn");
    $("notice").classList.add("hidden");
    $("stage").classList.remove("pass");
    $("stage").classList.toggle("scanning", state === "scanning");
    $("streak").firstChild && ($("streak").firstChild.style.width = "0");
    if (state !== "countdown") { clearInterval(countdownTimer); $("countdown").classList.add("hidden"); }
    if (state === "countdown") startCountdown(payload.seconds || 3, payload.lens_zh, payload.lens_en);
    const reviewing = state === "reviewing";
    $("review").classList.toggle("hidden", !reviewing);
    if (reviewing) {
      $("review").src = "/review.jpg?t=" + Date.now();
      if (payload && payload.ok === false) setMessage(payload.reason_zh || "照片未通过检查", payload.reason_en || "The photo did not pass", "warn");
      $("accept").disabled = payload ? payload.can_accept === false : false;
      $("retake").disabled = payload ? payload.can_retake === false : false;
    }
    if (state !== "done") $("receipt").classList.add("hidden");
    if (state === "done" && payload && payload.receipt) showReceipt(payload.receipt);
    if (payload && payload.identity) { showIdentity(payload.identity); retakeQuestion(payload.identity); }
    else if (!["confirming", "guiding", "reviewing"].includes(state)) showIdentity(null);
    showSteps();
    showButtons();
    offerLogin();
  }

  // Student-number login (when the school allows it and a roster is loaded), only while scanning.
  function offerLogin() {
    const open = $("login-open");
    if (state !== "scanning") { open.classList.add("hidden"); $("login").classList.add("hidden"); return; }
    fetch("/login-student", { credentials: "same-origin" }).then((r) => r.json())
      .then((a) => open.classList.toggle("hidden", !a.allowed || !$("login").classList.contains("hidden")))
      .catch(() => open.classList.add("hidden"));
  }
  $("login-open").addEventListener("click", () => {
    $("login").classList.remove("hidden");
    $("login-open").classList.add("hidden");
    $("login").elements.student_number.focus();
  });
  $("login-close").addEventListener("click", () => { $("login").classList.add("hidden"); offerLogin(); });
  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    const form = $("login");
    const body = { student_number: form.elements.student_number.value, id_number: form.elements.id_number.value };
    fetch("/login-student", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": token, "Content-Type": "application/json" }, body: JSON.stringify(body),
    }).then((r) => r.json()).then((a) => {
      if (a.ok) { form.reset(); form.classList.add("hidden"); return; }
      setMessage(a.message_zh || "登录失败", a.message_en || "Login failed", "warn");
    });
  });

  function guidance(g) {
    if (!["guiding", "countdown"].includes(state)) return;
    if (!(state === "countdown" && lensShown)) setMessage(g.message_zh, g.message_en, g.passed ? "pass" : "");
    $("stage").classList.toggle("pass", !!g.passed);
    const bar = $("streak").firstChild;
    if (bar && g.needed) bar.style.width = Math.min(100, (100 * g.streak) / g.needed) + "%";
  }

  function drawRing(ring) {
    const box = $("ring");
    if (!ring || !ring.pixels) return;
    while (box.children.length < ring.pixels.length) box.appendChild(document.createElement("span"));
    ring.pixels.forEach((p, i) => {
      const dot = box.children[i];
      const angle = ((ring.angles[i] || 0) - 90) * Math.PI / 180;
      dot.style.left = (50 + 40 * Math.cos(angle)) + "%";
      dot.style.top = (50 + 40 * Math.sin(angle)) + "%";
      // An LED that is off is drawn dim grey (not black on black); a lit one glows in its colour.
      const lit = Math.max(p[0], p[1], p[2]);
      const scale = lit > 0 ? Math.max(1, 200 / lit) : 1;  // a dimmed ring still shows its colour
      const shown = lit < 8 ? [75, 83, 93] : p.map((c) => Math.min(255, Math.round(c * scale)));
      dot.style.background = "rgb(" + shown.join(",") + ")";
      dot.style.boxShadow = lit < 8 ? "none" : "0 0 0.6rem rgb(" + shown.join(",") + ")";
    });
  }

  // The stage takes the camera's shape, so the head frame and the guides sit on the picture, not
  // on a letterbox (a landscape Pi camera and the portrait demo differ).
  function fitStage() {
    const img = $("preview");
    if (img.naturalWidth && img.naturalHeight) $("stage").style.setProperty("--ar", String(img.naturalWidth / img.naturalHeight));
  }
  $("preview").addEventListener("load", fitStage);
  setInterval(fitStage, 1000);

  $("streak").appendChild(document.createElement("span"));
  const events = new EventSource("/events");
  events.addEventListener("snapshot", (e) => {
    const s = JSON.parse(e.data);
    enter(s.state, { identity: s.identity });
    if (s.guidance) guidance(s.guidance);
    if (s.ring) drawRing(s.ring);
    if (s.demo && s.advisory && s.advisory.length) {
      $("advisory").textContent = "演示模式：以下检查仅提示不拦截 / Demo: advisory only: " + s.advisory.join(", ");
    }
  });
  events.addEventListener("transition", (e) => { const ev = JSON.parse(e.data); enter(ev.target, ev.payload || {}); });
  events.addEventListener("guidance", (e) => guidance(JSON.parse(e.data).payload));
  events.addEventListener("notice", (e) => {
    const p = JSON.parse(e.data).payload || {};
    const box = $("notice");
    box.textContent = (p.message_zh || "") + " / " + (p.message_en || "");
    box.classList.remove("hidden");
  });
  events.addEventListener("ring", (e) => drawRing(JSON.parse(e.data)));
  events.addEventListener("pairing", (e) => {
    // A pairing code the operator asked for: shown on the booth's display until used or expired.
    const p = JSON.parse(e.data);
    const box = $("pairing");
    box.textContent = p.code ? "平板配对码 Tablet pairing code: " + p.code : "";
    box.classList.toggle("hidden", !p.code);
    if (p.code && p.expires_in_s) setTimeout(() => box.classList.add("hidden"), p.expires_in_s * 1000);
  });

  document.querySelectorAll("[data-action]").forEach((b) => b.addEventListener("click", () => post(b.dataset.action)));
  document.addEventListener("keydown", (e) => {
    if (e.target && e.target.tagName === "INPUT") return;
    if (e.code === "Space" || e.code === "Enter") { e.preventDefault(); post($("shoot") ? "press" : "start"); }
    if (e.code === "Escape") post($("shoot") ? "long_press" : "cancel");
  });
  $("lang").addEventListener("click", () => {
    const en = document.body.classList.toggle("lang-en");
    $("lang").textContent = en ? "中文" : "English";
    document.documentElement.lang = en ? "en" : "zh-CN";
  });
  showButtons();
})();
