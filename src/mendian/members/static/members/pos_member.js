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
  var MEMBER_TENDERS = ["points", "stored_value"];
  // The server's answers that ask for proof that the member is present.
  var PROOF_REQUIRED = ["member_verification_required", "wallet_verification_required"];

  function tendersText(name) {
    var box = document.querySelector("[data-testid=member-tenders]");
    return box ? box.dataset[name] : "";
  }

  window.posApp = function () {
    var app = basePosApp();
    var baseApi = app.api;
    var baseClearSale = app.clearSale;
    var baseScan = app.scan;
    var baseChooseTender = app.chooseTender;
    var baseSearch = app.search;
    var baseFail = app.fail;
    var baseOpenTender = app.openTender;

    Object.assign(app, {
      member: null,
      memberCode: "",
      memberInput: "",
      walletSmsCode: "",
      walletSmsSent: false,
      memberProofNeeded: false,

      async api(method, path, body, headers) {
        if (this.member && method === "POST" && body && (path === "/sales/quote" || path === "/sales/orders")) {
          body = Object.assign({}, body, { member_id: this.member.id });
          var smsCode = /^\d{6}$/.test(this.walletSmsCode.trim()) ? this.walletSmsCode.trim() : "";
          // One proof that the member is present for the whole order: a code texted to them, or their live code.
          if (path === "/sales/orders" && (smsCode || this.memberCode)) body.member_code = smsCode || this.memberCode;
        }
        return baseApi.call(this, method, path, body, headers);
      },
      fail(error) {
        if (error && PROOF_REQUIRED.indexOf(error.code) >= 0 && this.member) this.memberProofNeeded = true;
        return baseFail.call(this, error);
      },
      async openTender() {
        this.memberProofNeeded = false;
        return baseOpenTender.call(this);
      },
      clearSale() {
        this.member = null;
        this.memberCode = "";
        this.walletSmsCode = "";
        this.walletSmsSent = false;
        this.memberProofNeeded = false;
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
      showMemberCodeEntry() {
        return !!this.member && (MEMBER_TENDERS.indexOf(this.tenderKind) >= 0 || this.memberProofNeeded);
      },
      memberTendersFen() {
        // What a texted code must cover: the points and stored-value tenders taken, and the one being typed.
        var taken = this.tenders.reduce(function (sum, tender) {
          return sum + (MEMBER_TENDERS.indexOf(tender.kind) >= 0 ? tender.amount_fen : 0);
        }, 0);
        var typing = 0;
        if (MEMBER_TENDERS.indexOf(this.tenderKind) >= 0 && this.remainingFen() > 0) {
          typing = Math.min(window.mendianMoney.fenFromYuan(this.tenderAmount) || 0, this.remainingFen());
        }
        return taken + typing;
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
        // The alternative to the live QR: a code texted to the member, good for this sale (its client order
        // id) and at most the points and stored value it pays.
        if (!this.member) return;
        var amount = this.memberTendersFen();
        if (amount <= 0) return this.flash(tendersText("amountMissing"), "error");
        try {
          await baseApi.call(this, "POST", "/members/" + this.member.id + "/wallet/sms-code", {
            amount_fen: amount,
            client_order_id: this.clientOrderId,
          });
          this.walletSmsSent = true;
          this.flash(tendersText("codeSent").replace("%(amount)s", window.mendianMoney.yuan(amount)));
          this.$nextTick(function () {
            var input = document.querySelector("[data-testid=wallet-sms-code]");
            if (input) input.focus();
          });
        } catch (error) {
          this.fail(error);
        }
      },
      detachMember() {
        this.walletSmsCode = "";
        this.walletSmsSent = false;
        this.memberProofNeeded = false;
        this.member = null;
        this.memberCode = "";
        if (this.cart.length) this.requote();
      },
    });
    return app;
  };
})();
