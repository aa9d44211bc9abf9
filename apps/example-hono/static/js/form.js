// The form page's live character count (second member of the js/site carpool).
;(function () {
  'use strict'
  var message = document.querySelector('#message')
  var count = document.querySelector('#char-count')
  if (!message || !count) return
  var update = function () {
    count.textContent = String(message.value.length)
  }
  message.addEventListener('input', update)
  update()
})()
