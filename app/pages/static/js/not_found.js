// The page for an address that matches nothing: only words and a link home, no data.
import "./shared.js";
