// Small behaviour that HTML attributes cannot express. Everything here is an enhancement:
// every page works without it.
(function () {
  'use strict';
})();
