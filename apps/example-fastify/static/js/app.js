// The site's script: marks the page as ready (the browser test waits for it) and counts the form's characters.
;(function () {
  'use strict'

  var message = document.querySelector('textarea[name="message"]')
  var counter = document.querySelector('[data-counter]')
  if (message && counter) {
    var update = function () {
      counter.textContent = String(message.value.length) + ' / 500'
    }
    message.addEventListener('input', update)
    update()
  }

  document.body.dataset.ready = 'yes'
})()
