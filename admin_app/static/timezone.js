// Remembers the browser's time zone in a cookie, so that the server shows dates in it. Loaded on
// the login pages too: the first panel page after logging in is then already in the right zone.
(function () {
  "use strict";
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && !document.cookie.split("; ").includes("tz=" + zone)) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (error) { /* the server falls back to UTC */ }
})();
