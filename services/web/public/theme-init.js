// Runs before the app so a dark-theme user never sees a white flash. Same storage key and
// rule as src/lib/theme.ts: an explicit choice wins, otherwise the system preference.
(function () {
  var choice = null;
  try { choice = localStorage.getItem('ludic.theme'); } catch (e) { /* storage disabled */ }
  var dark = choice === 'dark' || (choice !== 'light' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.toggle('dark', dark);
})();
