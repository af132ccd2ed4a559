// Behaviour that would otherwise be inline handlers, which the Content Security Policy refuses.
// <select data-autosubmit> submits its form on change; <form data-confirm="..."> asks first.
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
