// Runs on every page (first member of the js/site carpool): says so, for the browser test and for you.
;(function () {
  'use strict'
  document.body.dataset.ready = 'yes'
  var status = document.querySelector('[data-script-status]')
  if (status) status.textContent = 'JavaScript ran.'
})()
