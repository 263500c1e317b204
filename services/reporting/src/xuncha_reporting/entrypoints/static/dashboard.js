/* 抚州市巡察工作上下联动平台 — dashboard (plain JS, no build step, no external resources).
 * Reads the reporting API with the bearer token kept in localStorage, polls the projection
 * version every 2 s and reloads the views when it changes. All text goes into the DOM with
 * textContent (never innerHTML of data). */
(function () {
  "use strict";

  var TOKEN_KEY = "xuncha.token";
  var POLL_MS = 2000;
  var METRICS = [
    ["petitions_received", "信访举报受理", "件"],
    ["clues_registered", "线索登记", "件"],
    ["clues_transferred", "线索移交", "件"],
    ["clues_escalated", "线索上报市委巡察办", "件"],
    ["issues_fed_back", "反馈问题", "个"],
    ["rectification_reports", "整改报告", "份"],
  ];
  var DEPARTMENTS = [
    ["discipline_commission", "纪委监委"],
    ["organisation", "组织部"],
    ["petitions", "信访局"],
    ["audit", "审计局"],
    ["finance", "财政局"],
  ];
  var RECT_TYPES = { immediate: "立行立改", time_bound: "限期整改", long_term: "长期坚持" };
  var SERIES = [
    ["petitions_received", "信访举报受理", "#b8262b"],
    ["clues_registered", "线索登记", "#2e5aac"],
    ["clues_transferred", "线索移交", "#1a8a7d"],
  ];

  var state = {
    token: null,
    me: null,
    version: null,
    dept: null,
    previous: {},
    canOverview: false,
    canFeeds: false,
    timer: null,
    busy: false,
  };

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        if (key === "text") node.textContent = attrs[key];
        else if (key === "class") node.className = attrs[key];
        else if (key === "style") node.style.cssText = attrs[key]; // CSSOM: allowed by the CSP
        else node.setAttribute(key, attrs[key]);
      });
    }
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) {
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var timeFmt = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false,
  });
  var clockFmt = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });

  function fmtTime(iso) {
    if (!iso) return "—";
    return timeFmt.format(new Date(iso)).replace(/\//g, "-");
  }

  function fmtRate(rate) {
    return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%";
  }

  // ---- API ------------------------------------------------------------------------------

  function ApiError(status, problem) {
    this.status = status;
    this.problem = problem || {};
  }

  function api(path, options) {
    options = options || {};
    var headers = { Authorization: "Bearer " + state.token, Accept: "application/json" };
    if (options.body) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method: options.method || "GET",
      headers: headers,
      body: options.body ? JSON.stringify(options.body) : undefined,
      cache: "no-store",
    }).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!resp.ok) throw new ApiError(resp.status, data);
        return data;
      });
    });
  }

  // ---- session --------------------------------------------------------------------------

  function takeTokenFromUrl() {
    var url = new URL(window.location.href);
    var token = url.searchParams.get("token");
    if (token) {
      localStorage.setItem(TOKEN_KEY, token.trim());
      url.searchParams.delete("token");
      window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    }
  }

  function showLogin(message) {
    stopPolling();
    state.token = null;
    $("app").hidden = true;
    $("logout").hidden = true;
    $("whoami").textContent = "";
    setLive("off", "未连接");
    $("login").hidden = false;
    $("login-error").hidden = !message;
    $("login-error").textContent = message || "";
    $("token-input").value = "";
    $("token-input").focus();
  }

  function start(token) {
    state.token = token;
    api("/api/v1/me").then(function (me) {
      state.me = me;
      localStorage.setItem(TOKEN_KEY, token);
      $("login").hidden = true;
      $("app").hidden = false;
      $("logout").hidden = false;
      var who = me.role_label + " · " + (me.department_label || me.jurisdiction_name);
      $("whoami").textContent = who;
      var role = me.role;
      var cityWide = /00$/.test(me.jurisdiction);
      state.canOverview = role === "city_admin" || role === "county_admin" || role === "auditor";
      state.canFeeds = role === "department" || ((role === "city_admin" || role === "auditor") && cityWide);
      $("overview").hidden = !state.canOverview;
      $("feeds").hidden = !state.canFeeds;
      $("no-access").hidden = state.canOverview || state.canFeeds;
      $("scope-label").textContent = role === "county_admin" ? me.jurisdiction_name :
        role === "department" ? me.department_label : "全市";
      $("page-label").textContent = state.canOverview ? "上下联动总览" : "巡察成果共享";
      state.dept = role === "department" ? me.department : DEPARTMENTS[0][0];
      buildTabs();
      state.version = null;
      poll();
    }).catch(function (err) {
      if (err instanceof ApiError && err.status === 401) {
        localStorage.removeItem(TOKEN_KEY);
        showLogin("令牌无效、已过期或已被吊销，请重新输入。");
      } else {
        showLogin("无法连接平台服务，请稍后重试。");
      }
    });
  }


  // ---- polling --------------------------------------------------------------------------

  function setLive(mode, text) {
    var live = $("live");
    live.className = "live" + (mode === "on" ? " on" : mode === "err" ? " err" : "");
    $("live-text").textContent = text;
  }

  function stopPolling() {
    if (state.timer) window.clearTimeout(state.timer);
    state.timer = null;
  }

  function schedule() {
    stopPolling();
    state.timer = window.setTimeout(poll, POLL_MS);
  }

  function poll() {
    if (!state.token) return;
    api("/api/v1/views/version").then(function (v) {
      $("demo-badge").hidden = !v.demo;
      if (v.version !== state.version) {
        return refresh().then(function () {
          state.version = v.version;
          $("version").textContent = String(v.version);
        });
      }
      return null;
    }).then(function () {
      setLive("on", "实时更新");
      $("updated-at").textContent = clockFmt.format(new Date());
      schedule();
    }).catch(function (err) {
      if (err instanceof ApiError && err.status === 401) {
        localStorage.removeItem(TOKEN_KEY);
        showLogin("登录已失效，请重新输入令牌。");
        return;
      }
      setLive("err", "连接中断，重试中");
      schedule();
    });
  }

  function refresh() {
    var jobs = [];
    if (state.canOverview) jobs.push(api("/api/v1/views/linked").then(renderOverview));
    if (state.canFeeds) jobs.push(loadFeeds());
    return Promise.all(jobs);
  }

  // ---- overview -------------------------------------------------------------------------

  function renderOverview(view) {
    var rows = [];
    if (view.city) {
      rows.push({ key: "total", row: view.city, name: view.city.name + "（合计）", cls: "total" });
      if (view.city.own) {
        var own = Object.assign({ jurisdiction: view.city.jurisdiction }, view.city.own);
        rows.push({ key: "own", row: own, name: "市本级", cls: "own" });
      }
    }
    view.counties.forEach(function (c) {
      rows.push({ key: c.jurisdiction, row: c, name: c.name, cls: "" });
    });
    renderKpis(view.city || view.counties[0]);
    renderTable(rows);
    var chartRows = rows.filter(function (r) { return r.key !== "total"; });
    renderChart(chartRows);
  }

  function renderKpis(row) {
    var box = $("kpis");
    box.textContent = "";
    if (!row) return;
    METRICS.forEach(function (m) {
      var sub = row.own
        ? "市本级 " + row.own[m[0]] + " · 县区 " + (row[m[0]] - row.own[m[0]])
        : row.name;
      box.appendChild(el("div", { class: "kpi", "data-metric": m[0] }, [
        el("div", { class: "label", text: m[1] }),
        el("div", { class: "value" }, [String(row[m[0]]), el("small", { text: m[2] })]),
        el("div", { class: "sub", text: sub }),
      ]));
    });
    box.appendChild(el("div", { class: "kpi kpi-rate", "data-metric": "completion_rate" }, [
      el("div", { class: "label", text: "整改完成率" }),
      el("div", { class: "value", text: fmtRate(row.completion_rate) }),
      el("div", { class: "sub", text: "已完成 " + row.issues_completed + " / 反馈 " + row.issues_fed_back }),
    ]));
  }

  function renderTable(rows) {
    var tbody = $("linked-table").querySelector("tbody");
    tbody.textContent = "";
    rows.forEach(function (item) {
      var r = item.row;
      var tr = el("tr", { class: item.cls, "data-jurisdiction": item.key });
      tr.appendChild(el("td", { class: "left name", text: item.name }));
      METRICS.forEach(function (m) {
        var value = r[m[0]];
        var td = el("td", { class: value === 0 ? "zero" : "", "data-metric": m[0], text: String(value) });
        markChange(td, item.key + "/" + m[0], value);
        tr.appendChild(td);
      });
      var rate = r.completion_rate;
      var pct = rate === null || rate === undefined ? 0 : Math.round(rate * 100);
      var bar = el("span", { class: "bar" }, [el("i", { style: "width:" + pct + "%" })]);
      var cell = el("td", { "data-metric": "completion_rate" }, [
        el("div", { class: "rate" + (rate !== null && rate < 0.8 ? " low" : "") }, [
          bar, el("span", { class: "pct", text: fmtRate(rate) }),
        ]),
      ]);
      markChange(cell, item.key + "/rate", rate);
      tr.appendChild(cell);
      tbody.appendChild(tr);
    });
  }

  function markChange(td, key, value) {
    if (key in state.previous && state.previous[key] !== value) td.classList.add("changed");
    state.previous[key] = value;
  }

  function niceMax(value) {
    if (value <= 5) return 5;
    var exp = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * exp >= value) return steps[i] * exp;
    }
    return 10 * exp;
  }

  function renderChart(rows) {
    var legend = $("chart-legend");
    legend.textContent = "";
    SERIES.forEach(function (s) {
      legend.appendChild(el("span", {}, [el("i", { style: "background:" + s[2] }), s[1]]));
    });
    var box = $("chart");
    box.textContent = "";
    var W = 640, H = 400, left = 40, right = 8, top = 14, bottom = 46;
    var plotW = W - left - right, plotH = H - top - bottom;
    var max = 0;
    rows.forEach(function (item) {
      SERIES.forEach(function (s) { max = Math.max(max, item.row[s[0]] || 0); });
    });
    var yMax = niceMax(max);
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "xMidYMid meet" });
    var ticks = 5;
    for (var t = 0; t <= ticks; t++) {
      var v = (yMax / ticks) * t;
      var y = top + plotH - (v / yMax) * plotH;
      root.appendChild(svg("line", { x1: left, x2: W - right, y1: y, y2: y,
        stroke: t === 0 ? "#c9cdd4" : "#eef0f3", "stroke-width": 1 }));
      root.appendChild(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end",
        "font-size": 11, fill: "#86909c" }, String(Math.round(v * 10) / 10)));
    }
    var n = Math.max(rows.length, 1);
    var group = plotW / n;
    var barW = Math.max(3, Math.min(14, (group - 8) / SERIES.length));
    rows.forEach(function (item, i) {
      var gx = left + group * i + (group - barW * SERIES.length) / 2;
      SERIES.forEach(function (s, k) {
        var value = item.row[s[0]] || 0;
        var h = (value / yMax) * plotH;
        var rect = svg("rect", { x: gx + k * barW, y: top + plotH - h, width: barW - 1,
          height: Math.max(h, 0), fill: s[2], rx: 1 });
        rect.appendChild(svg("title", {}, item.name + " · " + s[1] + "：" + value));
        root.appendChild(rect);
      });
      var label = item.name.length > 4 ? item.name.slice(0, 4) : item.name;
      root.appendChild(svg("text", { x: left + group * i + group / 2, y: H - bottom + 16,
        "text-anchor": "middle", "font-size": 11, fill: "#4e5969" }, label));
    });
    root.appendChild(svg("text", { x: left, y: H - 8, "font-size": 11, fill: "#86909c" },
      "单位：件；悬停柱形查看数值"));
    box.appendChild(root);
  }

  // ---- feeds ----------------------------------------------------------------------------

  function buildTabs() {
    var tabs = $("dept-tabs");
    tabs.textContent = "";
    DEPARTMENTS.forEach(function (d) {
      if (state.me.role === "department" && state.me.department !== d[0]) return;
      var button = el("button", {
        class: "tab" + (d[0] === state.dept ? " active" : ""), type: "button", role: "tab",
        "data-dept": d[0],
      }, [d[1], el("span", { class: "count", text: "–" })]);
      button.addEventListener("click", function () {
        if (state.dept === d[0]) return;
        state.dept = d[0];
        Array.prototype.forEach.call(tabs.children, function (b) {
          b.classList.toggle("active", b.getAttribute("data-dept") === d[0]);
        });
        loadFeeds();
      });
      tabs.appendChild(button);
    });
  }

  function loadFeeds() {
    var depts = state.me.role === "department" ? [state.me.department] : DEPARTMENTS.map(function (d) { return d[0]; });
    return Promise.all(depts.map(function (dept) {
      return api("/api/v1/feeds/" + dept).then(function (feed) {
        var tab = $("dept-tabs").querySelector('[data-dept="' + dept + '"] .count');
        if (tab) {
          tab.textContent = String(feed.total);
          tab.classList.toggle("unacked", feed.unacknowledged > 0);
          tab.title = "共 " + feed.total + " 项，待签收 " + feed.unacknowledged + " 项";
        }
        if (dept === state.dept) renderFeed(feed);
      });
    }));
  }

  function renderFeed(feed) {
    $("feed-summary").textContent = feed.label + "：共接收 " + feed.total + " 项，其中待签收 " +
      feed.unacknowledged + " 项" + (feed.total > feed.items.length ? "（显示最近 " + feed.items.length + " 项）" : "");
    var tbody = $("feed-table").querySelector("tbody");
    tbody.textContent = "";
    if (!feed.items.length) {
      tbody.appendChild(el("tr", {}, [el("td", { colspan: "6", class: "left muted", text: "暂无共享事项" })]));
      return;
    }
    var canAck = state.me.role === "department" && state.me.department === feed.department;
    feed.items.forEach(function (item) {
      var isClue = item.kind === "clue_transfer";
      var detail = isClue
        ? (item.reason ? "移交理由：" + item.reason : "")
        : "整改类型：" + (RECT_TYPES[item.rect_type] || item.rect_type || "—") +
          (item.due_date ? " · 整改报告期限：" + item.due_date : "");
      var ack;
      if (item.acknowledged) {
        ack = el("span", { class: "state done", title: item.ack_note || "", text: "已签收 " + fmtTime(item.acknowledged_at).slice(5) });
      } else {
        ack = el("span", { class: "state wait" }, ["待签收"]);
        if (canAck) {
          var button = el("button", { class: "btn-small", type: "button", text: "签收" });
          button.addEventListener("click", function () { acknowledge(feed.department, item.item_id, button); });
          ack.appendChild(button);
        }
      }
      tbody.appendChild(el("tr", { "data-item": item.item_id }, [
        el("td", { class: "left" }, [el("span", { class: "tag " + (isClue ? "clue" : "issue"), text: isClue ? "移交线索" : "反馈问题" })]),
        el("td", { class: "left name", text: item.jurisdiction_name }),
        el("td", { class: "left", text: item.unit }),
        el("td", { class: "summary" }, [item.summary, detail ? el("div", { class: "reason", text: detail }) : null]),
        el("td", { class: "left", text: fmtTime(item.occurred_at) }),
        el("td", {}, [ack]),
      ]));
    });
  }

  function acknowledge(dept, itemId, button) {
    button.disabled = true;
    api("/api/v1/feeds/" + dept + "/items/" + encodeURIComponent(itemId) + "/ack", { method: "POST", body: {} })
      .then(function () { return poll(); })
      .catch(function (err) {
        button.disabled = false;
        var detail = err instanceof ApiError && err.problem && err.problem.detail;
        window.alert("签收失败：" + (detail || "请稍后重试"));
      });
  }

  // ---- wiring ---------------------------------------------------------------------------

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var token = $("token-input").value.trim();
    if (token) start(token);
  });
  $("logout").addEventListener("click", function () {
    localStorage.removeItem(TOKEN_KEY);
    state.previous = {};
    showLogin("");
  });

  takeTokenFromUrl();
  var saved = localStorage.getItem(TOKEN_KEY);
  if (saved) start(saved);
  else showLogin("");
})();
