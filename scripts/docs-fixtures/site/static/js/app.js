// The site's script: marks the page as ready once the DOM is there.
function markReady(documentElement) {
  documentElement.setAttribute('data-ready', 'yes')
}

if (typeof document !== 'undefined') {
  document.addEventListener('DOMContentLoaded', function onReady() {
    markReady(document.body)
  })
}
