/* Customer display: shows what the till on the same machine publishes (BroadcastChannel, or the
 * localStorage event as a fallback). It never calls the server for the cart; after a sale it asks the
 * server what to offer for the published receipt token: the claim QR (join and earn this order's
 * points) for a sale without a member, else the e-receipt QR and the points earned. */
(function () {
  "use strict";

  function yuan(fen) {
    if (typeof fen !== "number") return "0.00";
    const sign = fen < 0 ? "-" : "";
    const abs = Math.abs(Math.trunc(fen));
    return sign + Math.floor(abs / 100) + "." + String(abs % 100).padStart(2, "0");
  }

  window.customerDisplay = function (registerId, saleUrl) {
    const key = `mendian.display.${registerId}`;
    return {
      state: { status: "idle" },
      sale: null, // the server's answer for the paid sale on screen
      saleLoading: false,
      yuan: yuan,
      init() {
        this.take(localStorage.getItem(key));
        if ("BroadcastChannel" in window) {
          const channel = new BroadcastChannel(`mendian-display-${registerId}`);
          channel.onmessage = (event) => this.show(event.data);
        }
        window.addEventListener("storage", (event) => {
          if (event.key === key) this.take(event.newValue);
        });
      },
      take(raw) {
        if (!raw) return;
        try {
          this.show(JSON.parse(raw));
        } catch (error) {
          /* a half-written value: the next message replaces it */
        }
      },
      show(message) {
        if (!message || (this.state.at && message.at && message.at < this.state.at)) return;
        const sameSale = this.sale && message.status === "paid" && message.receipt_token === this.sale.token;
        this.state = message;
        if (sameSale) return;
        this.sale = null;
        this.saleLoading = message.status === "paid" && !!message.receipt_token;
        if (this.saleLoading) this.loadSale(message.receipt_token);
      },
      async loadSale(token) {
        try {
          const response = await fetch(saleUrl.replace("{token}", encodeURIComponent(token)), {
            headers: { Accept: "application/json" },
            credentials: "same-origin",
          });
          const sale = response.ok ? await response.json() : null;
          // A newer message may have replaced the sale while the answer was on its way.
          if (sale && this.state.status === "paid" && this.state.receipt_token === token) {
            this.sale = Object.assign({ token: token }, sale);
          }
        } catch (error) {
          /* offline: fall back to the e-receipt QR the till published */
        }
        if (this.state.receipt_token === token) this.saleLoading = false;
      },
      offersClaim() {
        return !!(this.sale && this.sale.claim_url);
      },
      receiptQrUrl() {
        if (this.saleLoading || this.offersClaim()) return "";
        return (this.sale && this.sale.receipt_qr_url) || this.state.qr_url || "";
      },
    };
  };
})();
