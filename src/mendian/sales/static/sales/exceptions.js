/* The manager's page of the till: exception log and the store's daily close. It uses the bearer
 * token of the PIN sign-in the till keeps in this tab; no UI text lives here. */
(function () {
  "use strict";

  const SESSION_KEY = "mendian.pos.session";

  function readJson(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : {};
  }

  function yuan(fen) {
    if (fen === null || fen === undefined) return "";
    const abs = Math.abs(Math.trunc(fen));
    return (fen < 0 ? "-" : "") + Math.floor(abs / 100) + "." + String(abs % 100).padStart(2, "0");
  }

  function today() {
    const now = new Date();
    return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
  }

  function exceptionsApp() {
    const S = readJson("exc-strings");
    const C = readJson("exc-config");
    return {
      S: S,
      session: null,
      date: today(),
      kind: "",
      entries: [],
      close: null,
      message: "",
      messageKind: "info",

      init() {
        try {
          this.session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
        } catch (error) {
          this.session = null;
        }
        window.addEventListener("keydown", (event) => {
          if (event.key === "Escape") window.location.href = C.posUrl;
        });
        if (!this.session) return this.flash(S.signed_out, "error");
        this.load();
      },
      yuan: yuan,
      flash(text, kind) {
        this.message = text || "";
        this.messageKind = kind || "info";
      },
      async api(path) {
        let response;
        try {
          response = await fetch(C.api + path, {
            headers: { Accept: "application/json", Authorization: `Bearer ${this.session.token}` },
          });
        } catch (error) {
          throw { message: S.network_error };
        }
        const data = await response.json().catch(() => null);
        if (!response.ok) {
          const err = (data && data.error) || { message: S.network_error };
          if (response.status === 403) err.message = S.forbidden;
          if (response.status === 401) err.message = S.signed_out;
          throw err;
        }
        return data;
      },
      async load() {
        if (!this.session) return this.flash(S.signed_out, "error");
        const query = new URLSearchParams({ store_id: this.session.store_id, limit: "500" });
        if (this.date) query.set("date_from", this.date);
        if (this.kind) query.set("kind", this.kind);
        try {
          const [entries, close] = await Promise.all([
            this.api(`/sales/exceptions?${query}`),
            this.date ? this.api(`/sales/daily-close?store_id=${this.session.store_id}&date=${this.date}`) : null,
          ]);
          this.entries = entries || [];
          this.close = close;
          this.flash("");
        } catch (error) {
          this.entries = [];
          this.close = null;
          this.flash(error.message || S.network_error, "error");
        }
      },
      // The API filters from the chosen day on; the page shows that day only.
      shown() {
        if (!this.date) return this.entries;
        return this.entries.filter((entry) => this.dayOf(entry.created_at) === this.date);
      },
      dayOf(iso) {
        const at = new Date(iso);
        return `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, "0")}-${String(at.getDate()).padStart(2, "0")}`;
      },
      timeOf(iso) {
        const at = new Date(iso);
        return `${this.dayOf(iso)} ${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
      },
      kindLabel(kind) {
        return S[`kind_${kind}`] || kind;
      },
      detailsText(entry) {
        const details = entry.details || {};
        const keys = Object.keys(details);
        return keys.length ? JSON.stringify(details).slice(0, 160) : "";
      },
      byTender(table) {
        return Object.keys(table || {}).map((kind) => ({ kind: kind, label: S[`tender_${kind}`] || kind, fen: table[kind] }));
      },
      byPrepaidKind(table) {
        return Object.keys(table || {}).map((kind) => ({ kind: kind, label: S[`prepaid_${kind}`] || kind, fen: table[kind] }));
      },
    };
  }

  window.exceptionsApp = exceptionsApp;
})();
