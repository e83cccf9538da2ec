/* Stored value, count cards and paid membership cards at the till (储值充值, 售次卡, 付费会员卡, 退卡).
   It wraps the till's posApp like the member panel does: with a member attached the cashier opens the
   "top up / cards" dialog, picks a plan, takes cash or a card, and the server writes one document with
   its tenders, the drawer's cash and the shift's rollup. Every attempt carries its own client id; a
   network error keeps the id so a retry never charges twice. No UI text lives here (see pos-strings). */
(function () {
  "use strict";
  var basePosApp = window.posApp;
  if (typeof basePosApp !== "function") return;
  var KEEP_ID = ["idempotency_retry", "idempotency_in_progress", "idempotency_key_reused"];

  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  window.posApp = function () {
    var app = basePosApp();
    var baseOnKey = app.onKey;

    Object.assign(app, {
      prepaidTab: "top_up", // top_up | count_card | membership | refund
      prepaidPlans: { top_up: [], count_card: [], membership: [] },
      prepaidCountCards: [],
      prepaidCard: null, // the member's paid membership card, or null
      prepaidChoice: null, // {kind, plan_id, amount_fen, label}
      prepaidAmount: "", // a top-up without a plan, in yuan
      prepaidTenderKind: "cash",
      prepaidCash: "",
      prepaidCardLast4: "",
      prepaidReference: "",
      prepaidRefundKind: "top_up_refund",
      prepaidRefundCardId: null,
      prepaidReason: "",
      prepaidManagerNo: "",
      prepaidManagerPin: "",
      prepaidClientId: newId(),
      prepaidResult: null,

      async openPrepaid(tab) {
        if (!this.member) return this.flash(this.S.prepaid_member_first, "error");
        this.prepaidTab = tab || "top_up";
        this.prepaidResetForm();
        this.prepaidResult = null;
        this.modal = "prepaid";
        this.focusDefault();
        try {
          var member = this.member;
          var answers = await Promise.all([
            this.api("GET", "/members/top-up-plans"),
            this.api("GET", "/members/count-card-plans"),
            this.api("GET", "/members/membership-plans"),
            this.api("GET", "/members/" + member.id + "/count-cards"),
            this.api("GET", "/members/" + member.id + "/membership-card"),
          ]);
          this.prepaidPlans = { top_up: answers[0] || [], count_card: answers[1] || [], membership: answers[2] || [] };
          this.prepaidCountCards = (answers[3] || []).filter(function (card) { return card.status === "active" && card.uses_left > 0; });
          this.prepaidCard = answers[4] || null;
        } catch (error) {
          this.fail(error);
        }
      },
      prepaidResetForm() {
        this.prepaidChoice = null;
        this.prepaidAmount = "";
        this.prepaidTenderKind = "cash";
        this.prepaidCash = "";
        this.prepaidCardLast4 = "";
        this.prepaidReference = "";
        this.prepaidRefundCardId = null;
        this.prepaidReason = "";
        this.prepaidManagerNo = "";
        this.prepaidManagerPin = "";
        this.prepaidClientId = newId();
      },
      prepaidSetTab(tab) {
        this.prepaidTab = tab;
        this.prepaidResetForm();
      },
      prepaidChoose(kind, plan, amountFen, label) {
        this.prepaidChoice = { kind: kind, plan_id: plan ? plan.id : null, amount_fen: amountFen, label: label };
        this.prepaidClientId = newId();
        this.prepaidCash = this.yuan(amountFen);
      },
      prepaidCustomAmount() {
        var fen = window.mendianMoney.fenFromYuan(this.prepaidAmount);
        if (!fen || fen <= 0) return this.flash(this.S.prepaid_amount_invalid, "error");
        this.prepaidChoose("top_up", null, fen, this.S.prepaid_top_up);
      },
      prepaidPlanLabel(plan) {
        return plan.bonus_fen ? this.t("prepaid_plan_bonus", { pay: this.yuan(plan.amount_fen), bonus: this.yuan(plan.bonus_fen) }) : this.yuan(plan.amount_fen);
      },
      prepaidUpgradeFen(plan) {
        if (!this.prepaidCard || !this.prepaidCard.is_valid) return null;
        if (plan.tier_rank <= this.prepaidCard.tier_rank) return null;
        return Math.max(plan.price_fen - this.prepaidCard.price_fen, 0);
      },
      prepaidChangeFen() {
        if (!this.prepaidChoice || this.prepaidTenderKind !== "cash") return 0;
        var handed = window.mendianMoney.fenFromYuan(this.prepaidCash);
        return handed === null ? 0 : Math.max(handed - this.prepaidChoice.amount_fen, 0);
      },
      prepaidRefundableFen() {
        if (!this.member) return 0;
        if (this.prepaidRefundKind === "top_up_refund") return this.member.wallet_principal_fen || 0;
        return null; // count cards and paid cards: the server works out the unused share
      },
      async prepaidPay() {
        if (this.busy || !this.prepaidChoice) return;
        var choice = this.prepaidChoice;
        var tender = { kind: this.prepaidTenderKind, amount_fen: choice.amount_fen };
        if (this.prepaidTenderKind === "cash") {
          var handed = window.mendianMoney.fenFromYuan(this.prepaidCash);
          if (handed === null || handed < choice.amount_fen) return this.flash(this.S.tenders_short, "error");
          tender.tendered_fen = handed;
        } else {
          tender.card_last4 = this.prepaidCardLast4;
          tender.reference = this.prepaidReference;
        }
        var body = {
          client_id: this.prepaidClientId,
          register_id: this.session.register_id,
          member_id: this.member.id,
          kind: choice.kind,
          tenders: [tender],
        };
        if (choice.plan_id) body.plan_id = choice.plan_id;
        else if (choice.kind === "top_up") body.amount_fen = choice.amount_fen;
        await this.prepaidSend("/sales/prepaid", body);
      },
      async prepaidRefund() {
        if (this.busy || !this.member) return;
        if (!this.prepaidReason.trim()) return this.flash(this.S.prepaid_reason_needed, "error");
        var body = {
          client_id: this.prepaidClientId,
          register_id: this.session.register_id,
          member_id: this.member.id,
          kind: this.prepaidRefundKind,
          tender: { kind: this.prepaidTenderKind, amount_fen: 0, card_last4: this.prepaidCardLast4, reference: this.prepaidReference },
          reason: this.prepaidReason.trim(),
        };
        if (this.prepaidRefundKind === "count_card_refund") {
          if (!this.prepaidRefundCardId) return this.flash(this.S.prepaid_choose_card, "error");
          body.count_card_id = this.prepaidRefundCardId;
        }
        if (this.prepaidManagerNo && this.prepaidManagerPin) {
          body.authorizer = { employee_no: this.prepaidManagerNo, pin: this.prepaidManagerPin };
        }
        await this.prepaidSend("/sales/prepaid/refunds", body);
      },
      async prepaidSend(path, body) {
        this.busy = true;
        try {
          var sale = await this.api("POST", path, body);
          this.prepaidResult = sale;
          this.prepaidClientId = newId();
          this.flash("");
          this.prepaidPrint(sale);
          var member = await this.api("POST", "/members/resolve-code", { code: this.member.card_no });
          var live = this.member.live_code;
          this.member = Object.assign({}, member, { live_code: live });
        } catch (error) {
          // A refused request wrote nothing: the corrected one gets a new id. A network error or an answer
          // about the id itself keeps it, so the retry returns the first document if the server wrote one.
          if (!error.network && error.status >= 400 && error.status < 500 && KEEP_ID.indexOf(error.code) < 0) {
            this.prepaidClientId = newId();
          }
          this.fail(error);
        } finally {
          this.busy = false;
        }
      },
      async prepaidPrint(sale) {
        try {
          var data = await this.api("POST", "/pos/prepaid/" + sale.id + "/print/", {});
          if (data.printed) this.printNote = this.S.printed;
          else if (data.has_printer) this.printNote = this.t("print_failed", { error: data.error });
          else this.printNote = "";
        } catch (error) {
          this.printNote = this.t("print_failed", { error: error.message || "" });
        }
      },
      prepaidDone() {
        this.prepaidResult = null;
        this.prepaidResetForm();
        this.modal = "";
        this.printNote = "";
        this.focusSearch();
      },
      prepaidRows(report) {
        var table = (report && report.prepaid_by_kind) || {};
        var self = this;
        return Object.keys(table).map(function (kind) { return { kind: kind, label: self.prepaidKindLabel(kind), fen: table[kind] }; });
      },
      byTenderOf(table) {
        var self = this;
        return Object.keys(table || {}).map(function (kind) { return { kind: kind, label: self.tenderLabel(kind), fen: table[kind] }; });
      },
      prepaidKindLabel(kind) {
        return this.S["prepaid_kind_" + kind] || kind;
      },
      onKey(event) {
        if (this.modal === "prepaid" && event.key === "Escape") {
          event.preventDefault();
          return this.prepaidDone();
        }
        return baseOnKey.call(this, event);
      },
    });
    return app;
  };
})();
