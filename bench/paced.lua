-- Paces each connection: after a response, wait 2 ms before the next request, so that 64
-- connections offer a steady ~20-25k requests/s instead of saturating the server.
function delay()
  return 2
end
