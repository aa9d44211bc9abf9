// Marks the page as enhanced once scripts run.
function enhance(root) {
  const heading = root.querySelector('h1')
  if (heading !== null) {
    heading.dataset.enhanced = 'yes'
  }
  return heading
}

document.addEventListener('DOMContentLoaded', function onReady() {
  enhance(document)
})
