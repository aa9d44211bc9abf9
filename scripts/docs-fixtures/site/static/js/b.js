// Second member of the carpool examples.
console.log(greeting + ', world')
