console.log('torn');
