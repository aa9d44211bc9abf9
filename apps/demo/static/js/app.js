/* The demo's script on every page: proves that jQuery and Bootstrap loaded and ran, and reports the page weight. */
(function ($, bootstrap) {
  'use strict'

  function formatBytes(bytes) {
    if (bytes < 1024) return bytes + ' B'
    return (bytes / 1024).toFixed(1) + ' kB'
  }

  $(function () {
    document.body.dataset.ready = 'yes'
    $('.script-status').text(
      'JavaScript ran: jQuery ' + $.fn.jquery + ' and Bootstrap ' + bootstrap.Tooltip.VERSION + ' are live.'
    )
    $('[data-bs-toggle="tooltip"]').each(function () {
      bootstrap.Tooltip.getOrCreateInstance(this)
    })
  })

  // Once everything has arrived, sum what the browser fetched (same-origin, so the sizes are visible).
  $(window).on('load', function () {
    var entries = performance.getEntriesByType('resource')
    var navigation = performance.getEntriesByType('navigation')[0]
    var transferred = entries.reduce(function (sum, entry) { return sum + entry.transferSize }, 0)
    var decoded = entries.reduce(function (sum, entry) { return sum + entry.decodedBodySize }, 0)
    if (navigation) {
      transferred += navigation.transferSize
      decoded += navigation.decodedBodySize
    }
    $('#page-weight').text(
      'Page weight: ' + (entries.length + 1) + ' requests, ' + formatBytes(transferred) + ' transferred, ' +
        formatBytes(decoded) + ' after decoding.'
    )
  })
})(window.jQuery, window.bootstrap)
