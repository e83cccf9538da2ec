/* The cashier screen (门店收银). Alpine.js component; every action goes through /api/v1/ with the
 * bearer token of the PIN sign-in. No UI text lives here: it comes from the page's JSON catalog. */
(function () {
  "use strict";

  const STORAGE = {
    registerToken: "mendian.pos.register_token",
    registerId: "mendian.pos.register_id",
    session: "mendian.pos.session",
    cart: "mendian.pos.cart",
  };
  // A keyboard-wedge scanner types a whole code in a burst: keys closer than this (ms) belong to one scan.
  const SCAN_MAX_GAP_MS = 60;
  const SCAN_MIN_LENGTH = 4;
  // Answers about an order id or Idempotency-Key itself: the first attempt may have written the order.
  const KEEP_ORDER_ID = [
    "idempotency_retry",
    "idempotency_in_progress",
    "idempotency_key_reused",
    "idempotency_answer_lost",
  ];
  // The server asks for proof that the member is present (their live code or a code texted to them): the
  // sale stays as it is, tenders and order id too (a texted code is good for this order only), and the
  // cashier finishes it again with the code.
  const KEEP_SALE = ["member_verification_required", "wallet_verification_required"];

  function readJson(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : {};
  }

  function yuan(fen) {
    if (fen === null || fen === undefined || Number.isNaN(fen)) return "";
    const sign = fen < 0 ? "-" : "";
    const abs = Math.abs(Math.trunc(fen));
    return sign + Math.floor(abs / 100) + "." + String(abs % 100).padStart(2, "0");
  }

  // "12", "12.5", "12.50" → fen, without floating point; null when it is not an amount.
  function fenFromYuan(text) {
    const match = /^\s*(\d{1,9})(?:\.(\d{0,2}))?\s*$/.exec(String(text === undefined ? "" : text));
    if (!match) return null;
    const cents = (match[2] || "").padEnd(2, "0");
    return parseInt(match[1], 10) * 100 + parseInt(cents || "0", 10);
  }

  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, (_, key) => (values && key in values ? values[key] : ""));
  }

  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    // Fallback for old browsers on plain http: RFC 4122 v4 from getRandomValues.
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // Shapes of the catalog API may differ slightly between versions: read what is there.
  function skuFrom(item) {
    if (!item) return null;
    let sku = item;
    if (item.item && typeof item.item === "object") sku = item.item; // look-up: {item, matched_by, scale}
    else if (item.sku && typeof item.sku === "object") sku = Object.assign({}, item, item.sku);
    const id = sku.sku_id !== undefined ? sku.sku_id : sku.id;
    if (id === undefined || id === null) return null;
    const base = sku.name || sku.display_name || sku.product_name || "";
    const name = sku.variant_name && !base.includes(sku.variant_name) ? `${base} ${sku.variant_name}` : base;
    const price = [sku.price_fen, sku.store_price_fen, sku.retail_price_fen, sku.unit_price_fen, sku.list_price_fen].find(
      (value) => typeof value === "number"
    );
    return { sku_id: id, name: name, code: sku.sku_code || sku.code || "", price_fen: price === undefined ? null : price };
  }

  // A cart line as the API takes it: gifts (赠品) and manager price changes travel with the line.
  function lineIn(line) {
    const out = { sku_id: line.sku_id, qty: line.qty };
    if (line.is_gift) out.is_gift = true;
    if (typeof line.price_override_fen === "number") out.price_override_fen = line.price_override_fen;
    return out;
  }

  function listFrom(data) {
    if (Array.isArray(data)) return data;
    if (data && Array.isArray(data.items)) return data.items;
    if (data && Array.isArray(data.results)) return data.results;
    return data ? [data] : [];
  }

  function posApp() {
    const S = readJson("pos-strings");
    const C = readJson("pos-config");
    // The exchange body last quoted (not reactive: the x-effect that asks for quotes must not track it).
    const exchangeQuoted = { key: "", timer: null };
    return {
      S: S,
      screen: "enrol", // enrol | login | shift-open | sale
      modal: "", // "" | tender | done | held | returns | shift | qty | search | help
      busy: false,
      message: "",
      messageKind: "info",
      registerTokenInput: "",
      employeeNo: "",
      pin: "",
      session: null, // {token, display_name, register_id, store_id, user_id}
      register: null,
      store: null,
      shift: null,
      floatYuan: "500",
      // the sale
      clientOrderId: newId(),
      cart: [],
      selected: -1,
      quote: null,
      quoteSeq: 0,
      quoting: false,
      note: "",
      manualDiscountFen: 0,
      authorizer: null, // {employee_no, pin} of the manager who allowed the discount
      overrideReason: "",
      discountInput: "",
      managerNo: "",
      managerPin: "",
      searchText: "",
      results: [],
      resultsFor: "",
      resultIndex: -1,
      qtyInput: "",
      // tendering
      tenders: [],
      tenderKind: "cash",
      tenderAmount: "",
      cardLast4: "",
      cardReference: "",
      approvalCode: "",
      lastOrder: null,
      printNote: "",
      // held orders
      heldList: [],
      // returns
      returnQuery: "",
      returnOrder: null,
      returnQty: {},
      returnSerials: {}, // order line id → serial numbers coming back (serialized lines only)
      returnRestock: true,
      returnReason: "",
      returnResult: null,
      clientReturnId: newId(),
      returnMode: "receipt", // receipt | unreceipted
      unreceiptedQuery: "",
      unreceiptedLines: [], // {sku_id, name, code, qty, price_fen, refund_yuan}
      exchangeCash: "",
      exchangeResult: null,
      exchangeQuote: null, // the server's quote of the exchange on screen: what it refunds and what is due
      exchangeQuoteError: "",
      exchangeQuoting: false,
      // per-line price change (manager PIN)
      priceInput: "",
      // shift
      xReport: null,
      zReport: null,
      counted: {},
      cashMoveKind: "paid_in",
      cashMoveAmount: "",
      cashMoveReason: "",
      denominations: C.denominations || [],
      // scanner
      scanBuffer: "",
      lastBurst: "",
      scanFallback: "",
      scanLastAt: 0,
      scanStartAt: 0,
      channel: null,
      clock: "",

      init() {
        const token = localStorage.getItem(STORAGE.registerToken);
        const saved = sessionStorage.getItem(STORAGE.session);
        if (saved) {
          try {
            this.session = JSON.parse(saved);
          } catch (error) {
            this.session = null;
          }
        }
        if (!token) this.screen = "enrol";
        else if (!this.session) this.screen = "login";
        else this.afterSignIn();
        window.addEventListener("keydown", (event) => this.onKey(event), true);
        this.tick();
        setInterval(() => this.tick(), 15000);
        this.$watch("screen", () => this.$nextTick(() => this.focusDefault()));
        this.$watch("modal", () => this.$nextTick(() => this.focusDefault()));
        this.$nextTick(() => this.focusDefault());
      },

      tick() {
        const now = new Date();
        this.clock = `${String(now.getHours()).padStart(2, "0")}:${String(now.getMinutes()).padStart(2, "0")}`;
      },

      t(key, values) {
        return format(S[key] || key, values);
      },
      yuan: yuan,

      flash(text, kind) {
        this.message = text || "";
        this.messageKind = kind || "info";
        clearTimeout(this._flashTimer);
        // Errors stay until the next action; other notes fade so they do not cover the cart.
        if (this.message && this.messageKind !== "error") this._flashTimer = setTimeout(() => (this.message = ""), 3000);
      },
      fail(error) {
        const text = (error && (error.message || error.code)) || S.network_error;
        this.flash(text, "error");
      },

      focusDefault() {
        // After Alpine has shown the screen or modal (a hidden field cannot take focus). If the cashier
        // (or a scanner) has gone into another field meanwhile, the focus stays where they put it.
        // On a busy till Alpine may show the screen later than that: try again for about a second.
        const before = document.activeElement;
        let tries = 0;
        const attempt = () => {
          const now = document.activeElement;
          const moved = now && now !== before && now !== document.body && now.matches("input, textarea, select");
          if (moved) return;
          if (!this.focusNow() && ++tries < 25) setTimeout(attempt, 40);
        };
        setTimeout(attempt, 20);
      },
      focusNow() {
        // True when the screen's (or dialog's) first field has the focus now.
        const target =
          (this.modal && document.querySelector(`[data-modal="${this.modal}"] [data-autofocus]`)) ||
          (!this.modal && document.querySelector(`[data-screen="${this.screen}"] [data-autofocus]`));
        if (!target) return false;
        target.focus();
        if (target.select) target.select();
        return document.activeElement === target;
      },

      // ---------------------------------------------------------------- API
      async api(method, path, body, headers) {
        const options = { method: method, headers: Object.assign({ Accept: "application/json" }, headers || {}) };
        if (this.session && this.session.token) options.headers.Authorization = `Bearer ${this.session.token}`;
        if (body !== undefined) {
          options.headers["Content-Type"] = "application/json";
          options.body = JSON.stringify(body);
        }
        const url = path.startsWith("/api/") || path.startsWith("/pos/") ? path : C.api + path;
        let response;
        try {
          response = await fetch(url, options);
        } catch (error) {
          throw { code: "network", message: S.network_error, network: true };
        }
        let data = null;
        if (response.status !== 204) {
          try {
            data = await response.json();
          } catch (error) {
            data = null;
          }
        }
        if (!response.ok) {
          const err = (data && data.error) || { code: `http_${response.status}`, message: S.network_error };
          err.status = response.status;
          if (response.status === 401 && this.session && !path.startsWith("/auth/token")) {
            this.signOut(S.session_expired);
          }
          throw err;
        }
        return data;
      },

      // ---------------------------------------------------------------- enrol, sign in, shift
      enrol() {
        const token = this.registerTokenInput.trim();
        if (!token) return this.flash(S.enrol_missing, "error");
        localStorage.setItem(STORAGE.registerToken, token);
        this.registerTokenInput = "";
        this.flash(S.enrol_saved);
        this.screen = "login";
      },
      unenrol() {
        localStorage.removeItem(STORAGE.registerToken);
        this.screen = "enrol";
      },

      async signIn() {
        if (this.busy) return;
        this.busy = true;
        try {
          const data = await this.api("POST", "/auth/token", {
            register_token: localStorage.getItem(STORAGE.registerToken),
            employee_no: this.employeeNo.trim(),
            pin: this.pin,
          });
          this.session = {
            token: data.token,
            display_name: data.display_name,
            register_id: data.register_id,
            store_id: data.store_id,
            user_id: data.user_id,
          };
          sessionStorage.setItem(STORAGE.session, JSON.stringify(this.session));
          localStorage.setItem(STORAGE.registerId, String(data.register_id));
          this.pin = "";
          this.flash("");
          await this.afterSignIn();
        } catch (error) {
          this.pin = "";
          this.fail(error);
        } finally {
          this.busy = false;
        }
      },

      async afterSignIn() {
        this.openChannel();
        try {
          const [register, store] = await Promise.all([
            this.api("GET", `/stores/registers/${this.session.register_id}`),
            this.api("GET", `/stores/${this.session.store_id}`),
          ]);
          this.register = register;
          this.store = store;
        } catch (error) {
          if (error.status === 401) return;
          this.fail(error);
        }
        await this.loadShift();
        this.restoreCart();
      },

      async loadShift() {
        try {
          const data = await this.api("GET", `/sales/shifts/current?register_id=${this.session.register_id}`);
          this.shift = data && (data.shift_id || data.id) && !data.is_closed ? data : null;
        } catch (error) {
          if (error.status === 401) return;
          this.shift = null;
          if (error.code !== "shift_not_open" && error.status !== 404) this.fail(error);
        }
        this.screen = this.shift ? "sale" : "shift-open";
      },

      async openShift() {
        const floatFen = fenFromYuan(this.floatYuan);
        if (floatFen === null) return this.flash(S.amount_invalid, "error");
        this.busy = true;
        try {
          this.shift = await this.api(
            "POST",
            "/sales/shifts/open",
            { register_id: this.session.register_id, float_fen: floatFen },
            { "Idempotency-Key": newId() }
          );
          this.flash(S.shift_opened);
          this.screen = "sale";
        } catch (error) {
          this.fail(error);
        } finally {
          this.busy = false;
        }
      },

      async signOut(text) {
        const session = this.session;
        this.session = null;
        sessionStorage.removeItem(STORAGE.session);
        this.modal = "";
        this.screen = localStorage.getItem(STORAGE.registerToken) ? "login" : "enrol";
        this.flash(text || S.signed_out, text ? "error" : "info");
        if (session && !text) {
          try {
            await fetch(`${C.api}/auth/logout`, { method: "POST", headers: { Authorization: `Bearer ${session.token}` } });
          } catch (error) {
            /* signing out locally is enough when offline */
          }
        }
      },

      // ---------------------------------------------------------------- customer display
      openChannel() {
        if (this.channel || !this.session) return;
        if ("BroadcastChannel" in window) this.channel = new BroadcastChannel(`mendian-display-${this.session.register_id}`);
      },
      publish(state) {
        if (!this.session) return;
        const message = Object.assign({ at: Date.now(), store_name: this.store ? this.store.name : "" }, state);
        if (this.channel) this.channel.postMessage(message);
        // The storage event reaches windows that opened before the channel or browsers without it.
        localStorage.setItem(`mendian.display.${this.session.register_id}`, JSON.stringify(message));
      },
      publishCart() {
        if (!this.cart.length) return this.publish({ status: "idle" });
        this.publish({
          status: "cart",
          lines: this.cart.map((line) => ({
            name: line.name,
            qty: line.qty,
            unit_price_fen: line.unit_price_fen,
            discount_fen: line.discount_fen || 0,
            total_fen: line.total_fen,
          })),
          subtotal_fen: this.subtotalFen(),
          discount_fen: this.discountFen(),
          total_fen: this.totalFen(),
        });
      },
      displayUrl() {
        return this.session ? C.displayUrl.replace("{id}", this.session.register_id) : "#";
      },

      // ---------------------------------------------------------------- cart
      saveCart() {
        if (!this.session) return;
        sessionStorage.setItem(
          STORAGE.cart,
          JSON.stringify({ client_order_id: this.clientOrderId, note: this.note, lines: this.cart })
        );
      },
      restoreCart() {
        const saved = sessionStorage.getItem(STORAGE.cart);
        if (!saved) return this.publishCart();
        try {
          const data = JSON.parse(saved);
          this.cart = data.lines || [];
          this.clientOrderId = data.client_order_id || newId();
          this.note = data.note || "";
          this.selected = this.cart.length - 1;
          if (this.cart.length) this.requote();
        } catch (error) {
          this.cart = [];
        }
        this.publishCart();
      },
      cartChanged() {
        this.saveCart();
        this.publishCart();
        this.requote();
      },

      addSku(sku, qty) {
        const existing = this.cart.findIndex((line) => line.sku_id === sku.sku_id && !line.is_gift);
        if (existing >= 0) {
          this.cart[existing].qty += qty || 1;
          this.selected = existing;
        } else {
          this.cart.push({
            sku_id: sku.sku_id,
            name: sku.name,
            code: sku.code,
            qty: qty || 1,
            list_price_fen: sku.price_fen,
            unit_price_fen: sku.price_fen,
            discount_fen: 0,
            total_fen: sku.price_fen === null ? null : sku.price_fen * (qty || 1),
          });
          this.selected = this.cart.length - 1;
        }
        this.estimateLine(this.selected);
        this.flash(this.t("scan_added", { name: sku.name }));
        this.cartChanged();
      },
      estimateLine(index) {
        const line = this.cart[index];
        if (line && typeof line.unit_price_fen === "number") line.total_fen = line.unit_price_fen * line.qty - (line.discount_fen || 0);
      },
      setQty(index, qty) {
        if (!Number.isInteger(qty) || qty < 1) return this.flash(S.qty_invalid, "error");
        if (!this.cart[index]) return;
        this.cart[index].qty = qty;
        this.estimateLine(index);
        this.cartChanged();
      },
      bumpQty(delta) {
        const line = this.cart[this.selected];
        if (!line) return;
        if (line.qty + delta < 1) return this.removeLine(this.selected);
        this.setQty(this.selected, line.qty + delta);
      },
      // Voids are shown to managers in the exception log; a failed log never blocks the cashier.
      async logException(kind, message, amountFen, details) {
        try {
          await this.api("POST", "/sales/exceptions", {
            register_id: this.session.register_id,
            kind: kind,
            message: message,
            amount_fen: amountFen,
            details: details || {},
          });
        } catch (error) {
          /* the sale goes on; the server logs what it refuses itself */
        }
      },
      removeLine(index) {
        if (index < 0 || !this.cart[index]) return;
        const line = this.cart[index];
        this.logException("line_void", line.name, line.total_fen, { sku_id: line.sku_id, qty: line.qty });
        this.cart.splice(index, 1);
        this.selected = Math.min(index, this.cart.length - 1);
        this.flash(S.line_removed);
        this.cartChanged();
      },
      voidOrder() {
        if (!this.cart.length) return;
        if (!window.confirm(S.confirm_void)) return;
        this.logException("order_void", "", this.totalFen(), {
          client_order_id: this.clientOrderId,
          lines: this.cart.map((line) => ({ sku_id: line.sku_id, qty: line.qty })),
        });
        this.clearSale();
        this.flash(S.voided);
      },
      clearSale() {
        this.cart = [];
        this.selected = -1;
        this.quote = null;
        this.note = "";
        this.tenders = [];
        this.dropDiscount();
        this.clientOrderId = newId();
        sessionStorage.removeItem(STORAGE.cart);
        this.publishCart();
      },

      openQty() {
        if (!this.cart[this.selected]) return this.flash(S.cart_empty, "error");
        this.qtyInput = String(this.cart[this.selected].qty);
        this.modal = "qty";
      },
      applyQty() {
        const qty = /^\d{1,5}$/.test(this.qtyInput.trim()) ? parseInt(this.qtyInput.trim(), 10) : NaN;
        if (!(qty >= 1)) return this.flash(S.qty_invalid, "error");
        this.setQty(this.selected, qty);
        this.modal = "";
      },

      // ------------------------------------------------ manual discount: only with a manager's PIN and a reason
      openDiscount() {
        if (!this.cart.length) return this.flash(S.cart_empty, "error");
        this.discountInput = this.manualDiscountFen ? yuan(this.manualDiscountFen) : "";
        this.managerNo = "";
        this.managerPin = "";
        this.modal = "discount";
      },
      applyDiscount() {
        const amount = fenFromYuan(this.discountInput);
        if (amount === null) return this.flash(S.amount_invalid, "error");
        if (amount > 0 && !this.overrideReason.trim()) return this.flash(S.reason_required, "error");
        if (amount > 0 && !(this.managerNo.trim() && /^\d{4,6}$/.test(this.managerPin))) {
          return this.flash(S.manager_required, "error");
        }
        this.manualDiscountFen = amount;
        // The PIN is checked by the server when the order is saved; it is kept only for this sale.
        if (amount > 0) this.authorizer = { employee_no: this.managerNo.trim(), pin: this.managerPin };
        else if (!this.hasOverrides()) this.authorizer = null;
        this.managerPin = "";
        this.modal = "";
        this.cartChanged();
      },
      dropDiscount() {
        this.manualDiscountFen = 0;
        this.authorizer = null;
        this.overrideReason = "";
      },

      // ------------------------------------------------ gift lines (赠品) and per-line price changes
      hasOverrides() {
        return this.cart.some((line) => typeof line.price_override_fen === "number");
      },
      toggleGift() {
        const line = this.cart[this.selected];
        if (!line) return this.flash(S.cart_empty, "error");
        line.is_gift = !line.is_gift;
        if (line.is_gift) delete line.price_override_fen;
        this.flash(line.is_gift ? this.t("gift_on", { name: line.name }) : this.t("gift_off", { name: line.name }));
        this.cartChanged();
      },
      openPrice() {
        const line = this.cart[this.selected];
        if (!line) return this.flash(S.cart_empty, "error");
        this.priceInput = yuan(typeof line.price_override_fen === "number" ? line.price_override_fen : line.list_price_fen);
        this.managerNo = "";
        this.managerPin = "";
        this.modal = "price";
      },
      applyPrice() {
        const line = this.cart[this.selected];
        if (!line) return;
        const amount = fenFromYuan(this.priceInput);
        if (amount === null) return this.flash(S.amount_invalid, "error");
        if (typeof line.list_price_fen === "number" && amount > line.list_price_fen) return this.flash(S.price_above_list, "error");
        if (!this.overrideReason.trim()) return this.flash(S.price_reason_required, "error");
        if (!(this.managerNo.trim() && /^\d{4,6}$/.test(this.managerPin))) return this.flash(S.manager_required, "error");
        line.price_override_fen = amount;
        line.is_gift = false;
        // The PIN is checked by the server when the order is saved; it is kept only for this sale.
        this.authorizer = { employee_no: this.managerNo.trim(), pin: this.managerPin };
        this.managerPin = "";
        this.modal = "";
        this.cartChanged();
      },

      subtotalFen() {
        if (this.quote) return this.quote.subtotal_fen;
        return this.cart.reduce((sum, line) => sum + (line.list_price_fen || 0) * line.qty, 0);
      },
      discountFen() {
        return this.quote ? this.quote.discount_fen : 0;
      },
      totalFen() {
        if (this.quote) return this.quote.total_fen;
        return this.cart.reduce((sum, line) => sum + (line.total_fen || 0), 0);
      },
      itemCount() {
        return this.cart.reduce((sum, line) => sum + line.qty, 0);
      },

      requote() {
        clearTimeout(this._quoteTimer);
        this.quote = null;
        if (!this.cart.length) return;
        this._quoteTimer = setTimeout(() => this.runQuote(), 80);
      },
      async runQuote() {
        const seq = ++this.quoteSeq;
        this.quoting = true;
        try {
          const data = await this.api("POST", "/sales/quote", {
            register_id: this.session.register_id,
            lines: this.cart.map(lineIn),
            manual_discount_fen: this.manualDiscountFen,
          });
          if (seq !== this.quoteSeq) return;
          this.applyQuote(data);
        } catch (error) {
          if (seq === this.quoteSeq) this.fail(error);
        } finally {
          if (seq === this.quoteSeq) this.quoting = false;
        }
      },
      applyQuote(data) {
        const lines = (data && data.lines) || [];
        this.cart.forEach((line, index) => {
          const priced = lines.length === this.cart.length ? lines[index] : lines.find((l) => l.sku_id === line.sku_id);
          if (!priced) return;
          line.name = priced.name || line.name;
          line.code = priced.sku_code || line.code;
          line.list_price_fen = priced.list_price_fen;
          line.unit_price_fen = priced.unit_price_fen;
          line.discount_fen = priced.discount_fen;
          line.total_fen = priced.total_fen;
          line.reasons = priced.reasons || [];
        });
        this.quote = data;
        this.saveCart();
        this.publishCart();
      },

      // ---------------------------------------------------------------- scan and search
      async scan(code) {
        code = String(code).trim();
        // A second code to try when this one is unknown (kept on the app, so wrappers of scan() need not pass it).
        const fallbackCode = this.scanFallback;
        this.scanFallback = "";
        if (!code) return;
        this.searchText = "";
        this.results = [];
        try {
          const data = await this.api("GET", `/catalog/lookup?code=${encodeURIComponent(code)}`);
          const sku = skuFrom(listFrom(data)[0]);
          if (!sku) return this.flash(this.t("not_found_code", { code: code }), "error");
          this.addSku(sku, 1);
        } catch (error) {
          if (error.status !== 404) return this.fail(error);
          if (fallbackCode) return this.scan(fallbackCode);
          // Not a code: a fast typist's "kkkl" + Enter is a search, not a scan.
          if (!/^\d+$/.test(code)) {
            this.searchText = code;
            return this.search(true);
          }
          this.flash(this.t("not_found_code", { code: code }), "error");
        }
      },
      async search(byName) {
        const text = this.searchText.trim();
        if (!text) return;
        if (!byName && /^\d{4,}$/.test(text)) return this.scan(text);
        try {
          const data = await this.api("GET", `/catalog/search?q=${encodeURIComponent(text)}`);
          this.results = listFrom(data).map(skuFrom).filter(Boolean);
          this.resultsFor = text;
          this.resultIndex = this.results.length ? 0 : -1;
          if (!this.results.length) this.flash(S.no_results, "error");
          else if (this.results.length === 1) this.pickResult(0);
        } catch (error) {
          this.fail(error);
        }
      },
      pickResult(index) {
        const sku = this.results[index];
        if (!sku) return;
        this.addSku(sku, 1);
        this.results = [];
        this.searchText = "";
        this.focusDefault();
      },

      // Returns true when the key finished a scanner burst (and the scan was handled).
      wedge(event) {
        // The time the key was pressed, not when a busy page got round to handling it.
        const now = event.timeStamp || performance.now();
        if (event.key === "Enter") {
          const code = this.scanBuffer;
          const fast = code.length >= SCAN_MIN_LENGTH && now - this.scanLastAt < SCAN_MAX_GAP_MS * 3;
          this.scanBuffer = "";
          // In the search box Enter decides with the whole text (see onKey): the burst is only a hint.
          this.lastBurst = fast ? code : "";
          if (!fast || (event.target && event.target.id === "pos-search")) return false;
          const target = event.target;
          // The burst also typed into whatever field had focus: take it back out.
          if (target && typeof target.value === "string" && target.value.endsWith(code)) {
            target.value = target.value.slice(0, target.value.length - code.length);
            target.dispatchEvent(new Event("input", { bubbles: true }));
          }
          event.preventDefault();
          event.stopPropagation();
          this.onScan(code);
          return true;
        }
        if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
          if (now - this.scanLastAt > SCAN_MAX_GAP_MS) this.scanBuffer = "";
          this.scanBuffer += event.key;
          this.scanLastAt = now;
        } else if (event.key !== "Shift") {
          this.scanBuffer = "";
        }
        return false;
      },
      onScan(code) {
        if (this.screen !== "sale") return;
        if (this.modal === "returns") {
          if (this.returnMode === "unreceipted") return this.findUnreceiptedItem(code);
          this.returnQuery = code;
          return this.findReturnOrder();
        }
        if (this.modal && this.modal !== "search") return;
        this.modal = "";
        this.scan(code);
      },

      // ---------------------------------------------------------------- keyboard
      onKey(event) {
        if (this.wedge(event)) return;
        if (this.screen !== "sale") return;
        const key = event.key;
        if (event.altKey && !event.ctrlKey && !event.metaKey) {
          // Alt+letter: by the physical key, so an input method or keyboard layout does not change it.
          const letter = (event.code || "").replace(/^Key/, "").toLowerCase();
          const altKeys = {
            g: () => !this.modal && this.toggleGift(),
            p: () => !this.modal && this.openPrice(),
            u: () => {
              if (this.modal !== "returns") this.openReturns();
              this.setReturnMode("unreceipted");
            },
            e: () => this.modal === "returns" && this.returnOrder && this.submitExchange(),
            l: () => !this.modal && (window.location.href = C.exceptionsUrl),
          };
          if (altKeys[letter]) {
            event.preventDefault();
            altKeys[letter]();
            return;
          }
        }
        const fkeys = {
          F2: () => this.focusSearch(),
          F3: () => this.openQty(),
          F4: () => (event.shiftKey ? this.voidOrder() : this.removeLine(this.selected)),
          F5: () => this.hold(),
          F6: () => this.openHeld(),
          F7: () => this.openReturns(),
          F8: () => this.reprint(),
          F9: () => this.openTender(),
          F10: () => this.openShiftPanel(),
        };
        const tenderKeys = { F5: "cash", F6: "card", F7: "pending_digital" };
        if (this.modal === "tender" && tenderKeys[key]) {
          event.preventDefault();
          return this.chooseTender(tenderKeys[key]);
        }
        if (fkeys[key]) {
          event.preventDefault();
          if (this.modal && !["F2"].includes(key) && !(this.modal === "done" && key === "F8")) return;
          if (this.modal === "done" && key !== "F8") this.closeDone();
          fkeys[key]();
          return;
        }
        if (key === "Escape") {
          event.preventDefault();
          if (this.modal === "done") return this.closeDone();
          if (this.modal) {
            this.modal = "";
            return;
          }
          if (this.results.length) this.results = [];
          this.searchText = "";
          return;
        }
        if (this.modal === "done" && key === "Enter") {
          event.preventDefault();
          return this.closeDone();
        }
        if (this.modal) return;
        const inSearch = event.target && event.target.id === "pos-search";
        const typing = event.target && /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) && !inSearch;
        if (typing) return;
        if (this.results.length && (key === "ArrowDown" || key === "ArrowUp")) {
          event.preventDefault();
          const step = key === "ArrowDown" ? 1 : -1;
          this.resultIndex = (this.resultIndex + step + this.results.length) % this.results.length;
          return;
        }
        if (inSearch && key === "Enter") {
          event.preventDefault();
          const text = this.searchText.trim();
          const burst = this.lastBurst;
          this.lastBurst = "";
          // The whole box is a code, also when a slow page split the scanner's burst in two; if it is
          // not, the burst alone is (digits typed by hand, then a scan).
          if (/^\d{4,}$/.test(text) && (!burst || text.endsWith(burst))) {
            this.scanFallback = burst && burst !== text ? burst : "";
            return this.scan(text);
          }
          // The scan began before the box had focus: its first characters never reached the box.
          if (burst && burst.endsWith(text)) {
            this.searchText = "";
            return this.scan(burst);
          }
          if (burst && text.endsWith(burst)) {
            // Scanned while a search was half typed: keep the typed part, add the scanned item.
            const typed = text.slice(0, text.length - burst.length);
            return this.scan(burst).then(() => (this.searchText = typed));
          }
          if (this.results.length && this.resultIndex >= 0 && this.searchText.trim() === this.resultsFor) {
            return this.pickResult(this.resultIndex);
          }
          return this.search();
        }
        if (key === "ArrowDown" || key === "ArrowUp") {
          event.preventDefault();
          if (!this.cart.length) return;
          const step = key === "ArrowDown" ? 1 : -1;
          this.selected = Math.max(0, Math.min(this.cart.length - 1, this.selected + step));
          return;
        }
        if ((key === "*" || key === "+" || key === "-") && (!inSearch || !this.searchText)) {
          event.preventDefault();
          this.scanBuffer = ""; // a command key, not the start of a scanned code
          // Some keyboards still insert the character into the empty search box: take it back out.
          if (inSearch) setTimeout(() => this.searchText === key && (this.searchText = ""), 0);
          if (key === "*") return this.openDiscount();
          return this.bumpQty(key === "+" ? 1 : -1);
        }
        if (key === "Delete" && (!inSearch || !this.searchText)) {
          event.preventDefault();
          return this.removeLine(this.selected);
        }
      },
      focusSearch() {
        this.modal = "";
        this.$nextTick(() => {
          const input = document.getElementById("pos-search");
          if (input) {
            input.focus();
            input.select();
          }
        });
      },

      // ---------------------------------------------------------------- hold / resume
      async hold() {
        if (!this.cart.length) return this.flash(S.cart_empty, "error");
        const label = this.cart
          .slice(0, 3)
          .map((line) => line.name)
          .join("、")
          .slice(0, 100);
        try {
          await this.api(
            "POST",
            "/sales/held",
            {
              register_id: this.session.register_id,
              label: label,
              cart: { lines: this.cart, note: this.note },
              total_fen: Math.max(0, this.totalFen() || 0),
            },
            { "Idempotency-Key": newId() }
          );
          this.clearSale();
          this.flash(S.held);
        } catch (error) {
          this.fail(error);
        }
      },
      async openHeld() {
        try {
          const data = await this.api("GET", `/sales/held?register_id=${this.session.register_id}`);
          this.heldList = listFrom(data);
          if (!this.heldList.length) return this.flash(S.held_none);
          this.modal = "held";
        } catch (error) {
          this.fail(error);
        }
      },
      heldSummary(held) {
        const lines = (held.cart && held.cart.lines) || [];
        const names = lines.map((line) => `${line.name || line.sku_code || line.sku_id}×${line.qty}`);
        return names.join("，");
      },
      async resume(held) {
        if (this.cart.length) await this.hold();
        try {
          await this.api("DELETE", `/sales/held/${held.id}`);
        } catch (error) {
          if (error.status !== 404) return this.fail(error);
        }
        const cart = held.cart || {};
        this.cart = (cart.lines || []).map((line) => ({
          sku_id: line.sku_id,
          name: line.name || line.sku_code || String(line.sku_id),
          code: line.code || line.sku_code || "",
          qty: line.qty,
          is_gift: !!line.is_gift,
          list_price_fen: line.list_price_fen ?? null,
          unit_price_fen: line.unit_price_fen ?? line.list_price_fen ?? null,
          discount_fen: 0,
          total_fen: line.total_fen ?? null,
        }));
        this.note = cart.note || "";
        this.clientOrderId = newId();
        this.selected = this.cart.length - 1;
        this.modal = "";
        this.flash(S.resumed);
        this.cartChanged();
      },

      // ---------------------------------------------------------------- tender
      allCash() {
        return this.tenders.every((tender) => tender.kind === "cash");
      },
      dueFen() {
        if (!this.quote) return this.totalFen();
        const cashDue = typeof this.quote.cash_due_fen === "number" ? this.quote.cash_due_fen : this.quote.total_fen;
        return this.allCash() && this.tenderKind === "cash" ? cashDue : this.quote.total_fen;
      },
      paidFen() {
        return this.tenders.reduce((sum, tender) => sum + tender.amount_fen, 0);
      },
      remainingFen() {
        return Math.max(0, this.dueFen() - this.paidFen());
      },
      changeFen() {
        return this.tenders.reduce((sum, tender) => sum + ((tender.tendered_fen || tender.amount_fen) - tender.amount_fen), 0);
      },
      async openTender() {
        if (!this.cart.length) return this.flash(S.cart_empty, "error");
        if (!this.quote) {
          // Price now, and let no scheduled re-quote overtake (and discard) this one.
          clearTimeout(this._quoteTimer);
          await this.runQuote();
        }
        if (!this.quote) return;
        this.tenders = [];
        this.chooseTender("cash");
        this.modal = "tender";
      },
      chooseTender(kind) {
        this.tenderKind = kind;
        this.tenderAmount = yuan(this.remainingFen());
        this.cardLast4 = "";
        this.cardReference = "";
        this.approvalCode = "";
        this.$nextTick(() => this.focusDefault());
      },
      fenFromYuanSafe(text) {
        const fen = fenFromYuan(text);
        return fen === null ? 0 : fen;
      },
      reasonLabels(line) {
        // Gifts and price changes have their own badges on the line (set on the till, before the server prices it).
        const own = ["list_price", "gift", "price_override"];
        return (line.reasons || []).filter((code) => !own.includes(code)).map((code) => S[`reason_${code}`] || code);
      },
      tenderLabel(kind) {
        return S[`tender_${kind}`] || kind;
      },
      async addTender() {
        // Every tender is in and the sale was refused for something the cashier has since fixed: finish again.
        if (this.tenders.length && this.remainingFen() <= 0) return this.complete();
        const amount = fenFromYuan(this.tenderAmount);
        if (amount === null || amount <= 0) return this.flash(S.amount_invalid, "error");
        const remaining = this.remainingFen();
        if (this.tenderKind === "cash") {
          const applied = Math.min(amount, remaining);
          this.tenders.push({ kind: "cash", amount_fen: applied, tendered_fen: amount });
        } else {
          if (this.tenderKind === "card" && !/^\d{4}$/.test(this.cardLast4.trim())) {
            return this.flash(S.card_last4_invalid, "error");
          }
          const tender = { kind: this.tenderKind, amount_fen: Math.min(amount, remaining) };
          if (this.tenderKind === "card") {
            tender.card_last4 = this.cardLast4.trim();
            if (this.cardReference.trim()) tender.reference = this.cardReference.trim();
            if (this.approvalCode.trim()) tender.approval_code = this.approvalCode.trim();
          }
          this.tenders.push(tender);
        }
        this.flash("");
        if (this.remainingFen() <= 0) return this.complete();
        this.chooseTender(this.tenderKind === "cash" ? "card" : this.tenderKind);
      },
      removeTender(index) {
        this.tenders.splice(index, 1);
        this.chooseTender(this.tenderKind);
      },
      async complete() {
        if (this.busy) return;
        if (this.remainingFen() > 0) return this.flash(S.tenders_short, "error");
        this.busy = true;
        const body = {
          client_order_id: this.clientOrderId,
          register_id: this.session.register_id,
          lines: this.cart.map(lineIn),
          tenders: this.tenders.map((tender) => Object.assign({}, tender)),
        };
        if (this.note.trim()) body.note = this.note.trim();
        if (this.manualDiscountFen) body.manual_discount_fen = this.manualDiscountFen;
        if (this.manualDiscountFen || this.hasOverrides()) {
          body.authorizer = this.authorizer;
          body.reason = this.overrideReason;
        }
        try {
          // The same client_order_id on every retry: the server keeps the first order. No Idempotency-Key:
          // the order id already makes the sale run once, and the key would cost two more writes a sale.
          const order = await this.api("POST", "/sales/orders", body);
          this.lastOrder = order;
          this.clearSale();
          this.modal = "done";
          this.publish({
            status: "paid",
            total_fen: order.total_fen,
            paid_fen: order.paid_fen,
            change_fen: order.change_fen,
            receipt_url: order.receipt_url || "",
            qr_url: order.receipt_token ? `/r/${order.receipt_token}/qr.svg` : "",
            // The display asks the server for the claim QR (or the points earned) with the receipt token.
            receipt_token: order.receipt_token || "",
          });
          this.printReceipt(false);
        } catch (error) {
          // A network error keeps the tenders (the cashier retries, same order id), and so does a request
          // for the member's code (KEEP_SALE).
          const keepSale = KEEP_SALE.includes(error.code);
          if (!error.network && !keepSale) this.tenders = [];
          if (error.status >= 400 && error.status < 500 && !KEEP_ORDER_ID.includes(error.code) && !keepSale) {
            // A refused sale (out of stock, a tender short…) wrote nothing; the corrected sale is a new one
            // with its own id. A network error, a 5xx or an answer about the id itself keeps it, so a
            // retry returns the first order if the server wrote one.
            this.clientOrderId = newId();
            this.saveCart();
          }
          this.chooseTender(this.tenderKind);
          this.fail(error);
        } finally {
          this.busy = false;
        }
      },
      closeDone() {
        this.modal = "";
        this.printNote = "";
        this.publish({ status: "idle" });
        this.focusSearch();
      },
      receiptLink(order) {
        if (!order) return "#";
        return order.receipt_url || (order.receipt_token ? `/r/${order.receipt_token}/` : "#");
      },
      async printReceipt(reprint) {
        const order = this.lastOrder;
        if (!order) return;
        try {
          const data = await this.api("POST", C.printUrl.replace("{id}", order.id), { reprint: !!reprint });
          if (data.printed) this.printNote = reprint ? S.reprinted : S.printed;
          else if (data.has_printer) this.printNote = this.t("print_failed", { error: data.error });
          else if (reprint) this.browserPrint(order, true);
        } catch (error) {
          this.printNote = this.t("print_failed", { error: error.message || "" });
        }
      },
      reprint() {
        if (!this.lastOrder) return;
        this.printReceipt(true);
      },
      browserPrint(order, reprint) {
        const base = this.receiptLink(order);
        if (base === "#") return;
        const url = `${base}${base.includes("?") ? "&" : "?"}print=1${reprint ? "&reprint=1" : ""}`;
        window.open(url, "mendian-receipt", "width=420,height=700");
      },

      // ---------------------------------------------------------------- returns
      openReturns() {
        this.returnQuery = "";
        this.returnOrder = null;
        this.returnQty = {};
        this.returnReason = "";
        this.returnResult = null;
        this.returnRestock = true;
        this.clientReturnId = newId();
        this.returnMode = "receipt";
        this.unreceiptedQuery = "";
        this.unreceiptedLines = [];
        this.exchangeCash = "";
        this.exchangeResult = null;
        this.modal = "returns";
      },
      setReturnMode(mode) {
        this.returnMode = mode;
        this.returnResult = null;
        this.exchangeResult = null;
        this.clientReturnId = newId();
        this.$nextTick(() => {
          const input = document.getElementById(mode === "unreceipted" ? "pos-unreceipted-query" : "pos-return-query");
          if (input) input.focus();
        });
      },

      // ------------------------------------------------ return without receipt: permission, at most the current price
      async findUnreceiptedItem(codeArg) {
        const text = String(codeArg || this.unreceiptedQuery).trim();
        if (!text) return;
        let sku = null;
        try {
          const data = await this.api("GET", `/catalog/lookup?code=${encodeURIComponent(text)}`);
          sku = skuFrom(listFrom(data)[0]);
        } catch (error) {
          if (error.status !== 404) return this.fail(error);
        }
        if (!sku) {
          try {
            const found = await this.api("GET", `/catalog/search?q=${encodeURIComponent(text)}`);
            sku = skuFrom(listFrom(found)[0]);
          } catch (error) {
            return this.fail(error);
          }
        }
        if (!sku) return this.flash(this.t("not_found_code", { code: text }), "error");
        this.unreceiptedQuery = "";
        this.returnResult = null;
        const existing = this.unreceiptedLines.find((line) => line.sku_id === sku.sku_id);
        if (existing) existing.qty += 1;
        else
          this.unreceiptedLines.push({
            sku_id: sku.sku_id,
            name: sku.name,
            code: sku.code,
            qty: 1,
            price_fen: sku.price_fen,
            refund_yuan: yuan(sku.price_fen),
          });
      },
      unreceiptedTotalFen() {
        return this.unreceiptedLines.reduce((sum, line) => {
          const unit = fenFromYuan(line.refund_yuan);
          return sum + (unit === null ? 0 : unit) * (parseInt(line.qty, 10) || 0);
        }, 0);
      },
      async submitUnreceipted() {
        const lines = this.unreceiptedLines.filter((line) => (parseInt(line.qty, 10) || 0) > 0);
        if (!lines.length) return this.flash(S.return_nothing, "error");
        if (!this.returnReason.trim()) return this.flash(S.return_reason_required, "error");
        const body = { client_return_id: this.clientReturnId, register_id: this.session.register_id, lines: [], restock: this.returnRestock, reason: this.returnReason.trim() };
        for (const line of lines) {
          const unit = fenFromYuan(line.refund_yuan);
          if (unit === null) return this.flash(S.amount_invalid, "error");
          if (typeof line.price_fen === "number" && unit > line.price_fen) return this.flash(S.refund_above_price, "error");
          body.lines.push({ sku_id: line.sku_id, qty: parseInt(line.qty, 10), refund_unit_fen: unit });
        }
        if (this.busy) return;
        this.busy = true;
        try {
          const result = await this.api("POST", "/sales/returns/unreceipted", body, { "Idempotency-Key": this.clientReturnId });
          this.returnResult = result;
          this.unreceiptedLines = [];
          this.flash(this.t("return_done", { amount: yuan(result.refund_fen) }));
          this.printReturn(result.id);
          this.clientReturnId = newId();
        } catch (error) {
          this.fail(error.status === 403 ? { message: S.unreceipted_forbidden } : error);
        } finally {
          this.busy = false;
        }
      },

      // ------------------------------------------------ exchange: the chosen lines come back, the cart goes out
      // The server quotes the exchange from the same refund plan the exchange uses: what each line refunds,
      // what the new goods cost, and what the customer pays or gets back. The screen asks exactly that.
      exchangeBody() {
        const sale = { lines: this.cart.map(lineIn) };
        if (this.member && this.member.id) sale.member_id = this.member.id; // attached by the members panel
        if (this.manualDiscountFen) sale.manual_discount_fen = this.manualDiscountFen;
        if (this.manualDiscountFen || this.hasOverrides()) {
          sale.authorizer = this.authorizer;
          sale.reason = this.overrideReason;
        }
        return {
          order_id: this.returnOrder.id,
          register_id: this.session.register_id,
          return_lines: this.returnLines(),
          sale: sale,
        };
      },
      exchangeReady() {
        return !!(this.modal === "returns" && this.returnMode === "receipt" && this.returnOrder && this.session && this.cart.length && this.returnLines().length);
      },
      // Called from an x-effect on the exchange box: it reads what the quote depends on, so any change
      // (return quantities, the cart, a discount) asks again, debounced like the cart's quote.
      watchExchange() {
        const key = this.exchangeReady() ? JSON.stringify(this.exchangeBody()) : "";
        if (key === exchangeQuoted.key) return;
        exchangeQuoted.key = key;
        this.exchangeQuote = null;
        this.exchangeQuoteError = "";
        clearTimeout(exchangeQuoted.timer);
        if (key) exchangeQuoted.timer = setTimeout(() => this.runExchangeQuote(), 150);
      },
      async runExchangeQuote() {
        const key = exchangeQuoted.key;
        if (!key) return null;
        this.exchangeQuoting = true;
        try {
          const quote = await this.api("POST", "/sales/exchanges/quote", JSON.parse(key));
          if (key !== exchangeQuoted.key) return null;
          this.exchangeQuote = quote;
          this.exchangeQuoteError = "";
          return quote;
        } catch (error) {
          if (key === exchangeQuoted.key) {
            this.exchangeQuote = null;
            this.exchangeQuoteError = (error && (error.message || error.code)) || S.network_error;
          }
          return null;
        } finally {
          if (key === exchangeQuoted.key) this.exchangeQuoting = false;
        }
      },
      exchangeDueFen() {
        return this.exchangeQuote ? Math.max(0, this.exchangeQuote.due_fen) : null;
      },
      exchangeCashDueFen() {
        return this.exchangeQuote ? Math.max(0, this.exchangeQuote.cash_due_fen) : null;
      },
      async submitExchange() {
        const lines = this.returnLines();
        if (!lines.length) return this.flash(S.return_nothing, "error");
        if (!this.cart.length) return this.flash(S.exchange_cart_empty, "error");
        if (this.busy) return;
        this.watchExchange();
        let quote = this.exchangeQuote;
        if (!quote) {
          clearTimeout(exchangeQuoted.timer);
          quote = await this.runExchangeQuote();
          if (!quote) return this.flash(this.exchangeQuoteError || S.network_error, "error");
        }
        const key = exchangeQuoted.key;
        const tenders = [];
        if (quote.due_fen > 0) {
          const received = fenFromYuan(this.exchangeCash || yuan(quote.cash_due_fen));
          if (received === null || received < quote.cash_due_fen) return this.flash(S.tenders_short, "error");
          tenders.push({ kind: "cash", amount_fen: quote.due_fen, tendered_fen: received });
        }
        this.busy = true;
        const body = JSON.parse(key);
        body.client_return_id = this.clientReturnId;
        body.restock = this.returnRestock;
        body.reason = this.returnReason;
        body.sale.client_order_id = this.clientOrderId;
        body.sale.tenders = tenders;
        if (this.note.trim()) body.sale.note = this.note.trim();
        try {
          const result = await this.api("POST", "/sales/exchanges", body, { "Idempotency-Key": this.clientReturnId });
          this.exchangeResult = result;
          this.lastOrder = result.order;
          this.clearSale();
          this.exchangeCash = "";
          this.flash(this.t("exchange_done", { number: result.order.number }));
          this.returnOrder = await this.api("GET", `/sales/orders/${this.returnOrder.id}`);
          this.returnQty = {};
          this.clientReturnId = newId();
          this.printReceipt(false);
        } catch (error) {
          this.fail(error);
        } finally {
          this.busy = false;
        }
      },
      async findReturnOrder() {
        const query = this.returnQuery.trim();
        if (!query) return;
        this.returnOrder = null;
        this.returnResult = null;
        try {
          const found = await this.api("GET", `${C.findOrderUrl}?q=${encodeURIComponent(query)}`);
          const order = await this.api("GET", `/sales/orders/${found.id}`);
          this.returnOrder = order;
          this.returnQty = {};
          this.returnSerials = {};
          (order.lines || []).forEach((line) => {
            this.returnQty[line.id] = 0;
            // A serialized line comes back unit by unit: the cashier ticks the serial numbers in hand.
            if (line.serials && line.serials.length) this.returnSerials[line.id] = [];
          });
          this.clientReturnId = newId();
        } catch (error) {
          this.fail(error.status === 404 ? { message: S.order_not_found } : error);
        }
      },
      async printReturn(returnId) {
        try {
          const data = await this.api("POST", C.returnPrintUrl.replace("{id}", returnId), {});
          if (data.has_printer && !data.printed) this.flash(this.t("print_failed", { error: data.error }), "error");
        } catch (error) {
          this.flash(this.t("print_failed", { error: error.message || "" }), "error");
        }
      },
      returnableQty(line) {
        return line.qty - (line.refunded_qty || 0);
      },
      returnLines() {
        if (!this.returnOrder) return [];
        return (this.returnOrder.lines || [])
          .filter((line) => (this.returnQty[line.id] || 0) > 0)
          .map((line) => {
            const out = { order_line_id: line.id, qty: Math.min(this.returnQty[line.id], this.returnableQty(line)) };
            if (this.returnSerials[line.id]) out.serials = this.returnSerials[line.id].slice(0, out.qty);
            return out;
          });
      },
      returnSerialsChanged(line) {
        this.returnQty[line.id] = (this.returnSerials[line.id] || []).length;
      },
      returnEstimateFen() {
        if (!this.returnOrder) return 0;
        return (this.returnOrder.lines || []).reduce((sum, line) => {
          const qty = Math.min(this.returnQty[line.id] || 0, this.returnableQty(line));
          // What the customer paid for these units: cumulative floor shares of the line total, as the
          // server counts them (the last unit takes the remaining fen; the server decides exactly).
          const done = line.refunded_qty || 0;
          if (qty <= 0) return sum;
          return sum + Math.floor((line.total_fen * (done + qty)) / line.qty) - Math.floor((line.total_fen * done) / line.qty);
        }, 0);
      },
      async submitReturn() {
        const lines = this.returnLines();
        if (!lines.length) return this.flash(S.return_nothing, "error");
        if (this.busy) return;
        this.busy = true;
        try {
          const result = await this.api(
            "POST",
            `/sales/orders/${this.returnOrder.id}/returns`,
            { client_return_id: this.clientReturnId, lines: lines, restock: this.returnRestock, reason: this.returnReason },
            { "Idempotency-Key": this.clientReturnId }
          );
          this.returnResult = result;
          this.flash(this.t("return_done", { amount: yuan(result.refund_fen) }));
          this.printReturn(result.id);
          this.returnOrder = await this.api("GET", `/sales/orders/${this.returnOrder.id}`);
          this.returnQty = {};
          this.clientReturnId = newId();
        } catch (error) {
          this.fail(error);
        } finally {
          this.busy = false;
        }
      },

      // ---------------------------------------------------------------- shift: X report, cash moves, close → Z
      shiftId() {
        return this.shift ? this.shift.shift_id || this.shift.id : null;
      },
      async openShiftPanel() {
        if (!this.shift) return;
        this.zReport = null;
        this.counted = {};
        this.denominations.forEach((fen) => (this.counted[fen] = ""));
        this.modal = "shift";
        await this.loadXReport();
      },
      async loadXReport() {
        try {
          this.xReport = await this.api("GET", `/sales/shifts/${this.shiftId()}/report`);
        } catch (error) {
          this.fail(error);
        }
      },
      countedFen() {
        return this.denominations.reduce((sum, fen) => {
          const count = parseInt(this.counted[fen] || "0", 10);
          return sum + (Number.isNaN(count) ? 0 : count * fen);
        }, 0);
      },
      async cashMove() {
        const amount = fenFromYuan(this.cashMoveAmount);
        if (this.cashMoveKind !== "no_sale" && (amount === null || amount <= 0)) return this.flash(S.amount_invalid, "error");
        try {
          await this.api(
            "POST",
            `/sales/shifts/${this.shiftId()}/cash`,
            { kind: this.cashMoveKind, amount_fen: this.cashMoveKind === "no_sale" ? 0 : amount, reason: this.cashMoveReason },
            { "Idempotency-Key": newId() }
          );
          this.cashMoveAmount = "";
          this.cashMoveReason = "";
          await this.api("POST", C.drawerUrl, {}); // money goes in or out: open the drawer
          await this.loadXReport();
        } catch (error) {
          this.fail(error);
        }
      },
      async closeShift() {
        if (this.busy) return;
        if (!window.confirm(S.confirm_close)) return;
        const counted = {};
        this.denominations.forEach((fen) => {
          const count = parseInt(this.counted[fen] || "0", 10);
          if (count > 0) counted[String(fen)] = count;
        });
        this.busy = true;
        try {
          this.zReport = await this.api("POST", `/sales/shifts/${this.shiftId()}/close`, { counted: counted }, {
            "Idempotency-Key": `close-${this.shiftId()}`,
          });
          this.flash(S.shift_closed);
        } catch (error) {
          this.fail(error);
        } finally {
          this.busy = false;
        }
      },
      finishShift() {
        this.shift = null;
        this.zReport = null;
        this.modal = "";
        this.signOut();
      },
      byTender(report) {
        const table = (report && report.by_tender) || {};
        return Object.keys(table).map((kind) => ({ kind: kind, label: this.tenderLabel(kind), fen: table[kind] }));
      },
    };
  }

  window.posApp = posApp;
  window.mendianMoney = { yuan: yuan, fenFromYuan: fenFromYuan };
})();
