/* Members at the till: attach a member by scanning their live QR (or card number) or by phone, show tier,
   points and stored value, offer points and stored value as tenders. It wraps the till's posApp so the
   sale code stays in one place: quotes and orders get the member_id, an order carries the scanned live code
   or a code texted to the member as `member_code` (the server asks for one for points, and for stored value
   above a threshold), a new sale drops the member. */
(function () {
  "use strict";
  var basePosApp = window.posApp;
  if (typeof basePosApp !== "function") return;
  var MEMBER_CODE = /^M1\.\d+\.\d+\.[0-9a-f]+$/;

  window.posApp = function () {
    var app = basePosApp();
    var baseApi = app.api;
    var baseClearSale = app.clearSale;
    var baseScan = app.scan;
    var baseChooseTender = app.chooseTender;
    var baseSearch = app.search;

    Object.assign(app, {
      member: null,
      memberCode: "",
      memberInput: "",
      walletSmsCode: "",
      walletSmsSent: false,

      async api(method, path, body, headers) {
        if (this.member && method === "POST" && body && (path === "/sales/quote" || path === "/sales/orders")) {
          body = Object.assign({}, body, { member_id: this.member.id });
          var smsCode = /^\d{6}$/.test(this.walletSmsCode) ? this.walletSmsCode : "";
          // One proof that the member is present for the whole order: a code texted to them, or their live code.
          if (path === "/sales/orders" && (smsCode || this.memberCode)) body.member_code = smsCode || this.memberCode;
        }
        return baseApi.call(this, method, path, body, headers);
      },
      clearSale() {
        this.member = null;
        this.memberCode = "";
        this.walletSmsCode = "";
        this.walletSmsSent = false;
        this.memberInput = "";
        return baseClearSale.call(this);
      },
      async scan(code) {
        if (MEMBER_CODE.test(String(code).trim())) return this.attachMember(String(code).trim());
        return baseScan.call(this, code);
      },
      async search(byName) {
        var text = (this.searchText || "").trim();
        if (MEMBER_CODE.test(text)) {
          this.searchText = "";
          return this.attachMember(text);
        }
        return baseSearch.call(this, byName);
      },
      chooseTender(kind) {
        baseChooseTender.call(this, kind);
        if (kind === "points" && this.member) {
          var worth = Math.floor((this.member.points * 100) / (this.member.points_per_yuan_redeemed || 100));
          var cap = Math.floor((this.quote ? this.quote.total_fen : 0) * (this.member.points_redeem_cap_bp || 0) / 10000);
          this.tenderAmount = window.mendianMoney.yuan(Math.max(0, Math.min(worth, cap, this.remainingFen())));
        }
        if (kind === "stored_value" && this.member) {
          this.tenderAmount = window.mendianMoney.yuan(Math.min(this.member.wallet_balance_fen, this.remainingFen()));
        }
      },
      async attachMember(text) {
        text = String(text === undefined ? this.memberInput : text).trim();
        if (!text) return;
        try {
          var code = text;
          if (!MEMBER_CODE.test(text) && !/^8\d{11}$/.test(text)) {
            var found = await baseApi.call(this, "GET", "/members/?q=" + encodeURIComponent(text));
            if (!found || !found.length) {
              var panel = document.querySelector("[data-testid=member-panel]");
              return this.flash(panel ? panel.dataset.notFound : text, "error");
            }
            code = found[0].card_no;
          }
          var member = await baseApi.call(this, "POST", "/members/resolve-code", { code: code });
          this.member = member;
          this.memberCode = member.live_code ? text : "";
          this.memberInput = "";
          this.flash("");
          if (this.cart.length) this.requote();
        } catch (error) {
          this.fail(error);
        }
      },
      async sendWalletCode() {
        // The alternative to the live QR for a large stored-value payment: a code texted to the member.
        if (!this.member) return;
        var amount = window.mendianMoney.fenFromYuan(this.tenderAmount) || this.remainingFen();
        try {
          // The code is good for this sale only (its client order id) and at most this amount.
          await baseApi.call(this, "POST", "/members/" + this.member.id + "/wallet/sms-code", {
            amount_fen: amount,
            client_order_id: this.clientOrderId,
          });
          this.walletSmsSent = true;
        } catch (error) {
          this.fail(error);
        }
      },
      detachMember() {
        this.walletSmsCode = "";
        this.walletSmsSent = false;
        this.member = null;
        this.memberCode = "";
        if (this.cart.length) this.requote();
      },
    });
    return app;
  };
})();
