/* The carpool page: a Chart.js bar chart of what the browser downloaded, request by request. */
(function ($, Chart) {
  'use strict'

  function shortName(url) {
    var path = new URL(url, location.href).pathname
    return path.length > 42 ? '…' + path.slice(-41) : path
  }

  $(window).on('load', function () {
    var canvas = document.getElementById('bytes-chart')
    var entries = performance.getEntriesByType('resource').filter(function (entry) {
      return entry.decodedBodySize > 0
    })
    var wire = entries.map(function (entry) { return Math.round(entry.encodedBodySize / 102.4) / 10 })
    var decoded = entries.map(function (entry) { return Math.round(entry.decodedBodySize / 102.4) / 10 })
    new Chart(canvas, {
      type: 'bar',
      data: {
        labels: entries.map(function (entry) { return shortName(entry.name) }),
        datasets: [
          { label: 'over the wire (kB)', data: wire, backgroundColor: '#5b3cc4' },
          { label: 'decoded (kB)', data: decoded, backgroundColor: '#ffb020' },
        ],
      },
      options: {
        animation: false,
        indexAxis: 'y',
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: 'bottom' } },
        scales: { x: { beginAtZero: true, title: { display: true, text: 'kB' } } },
      },
    })
    var totalWire = wire.reduce(function (a, b) { return a + b }, 0)
    var totalDecoded = decoded.reduce(function (a, b) { return a + b }, 0)
    $('#chart-summary').text(
      entries.length + ' requests: ' + totalWire.toFixed(1) + ' kB over the wire for ' + totalDecoded.toFixed(1) + ' kB of content.'
    )
    canvas.dataset.chart = 'drawn'
  })
})(window.jQuery, window.Chart)
