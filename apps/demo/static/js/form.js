/* The form page: a live character count and client-side checks before the form is sent. */
(function ($) {
  'use strict'

  $(function () {
    var $form = $('#contact-form')
    var $message = $('#message')
    var $count = $('#char-count')

    function updateCount() {
      $count.text($message.val().length)
    }

    $message.on('input', updateCount)
    updateCount()

    $form.on('submit', function (event) {
      var valid = true
      $form.find('[required]').each(function () {
        var empty = $.trim($(this).val()) === ''
        $(this).toggleClass('is-invalid', empty)
        if (empty) valid = false
      })
      if (!valid) event.preventDefault()
    })

    $form.attr('data-enhanced', 'yes')
  })
})(window.jQuery)
