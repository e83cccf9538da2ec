/* Customer display: shows what the till on the same machine publishes (BroadcastChannel, or the
 * localStorage event as a fallback). It never calls the server for the cart. */
(function () {
  "use strict";

  function yuan(fen) {
    if (typeof fen !== "number") return "0.00";
    const sign = fen < 0 ? "-" : "";
    const abs = Math.abs(Math.trunc(fen));
    return sign + Math.floor(abs / 100) + "." + String(abs % 100).padStart(2, "0");
  }

  window.customerDisplay = function (registerId) {
    const key = `mendian.display.${registerId}`;
    return {
      state: { status: "idle" },
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
        this.state = message;
      },
    };
  };
})();
