var a  =  {{ n }};		// two tabs


  function f()  {
      return   a;
  }
   
